package dev.peft4j.models.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The files of a model shipped inside the peft4j-models jar, copied out to a directory: safetensors are
 * memory-mapped, which needs a real file. Shared by the shipped ViTs, decoder and DiT.
 */
public final class ShippedFiles {

    private ShippedFiles() {
    }

    /**
     * Copies {@code resourceDir + name} for each name into {@code dir} and returns {@code dir}.
     *
     * @param pretrainCommand the command that writes such a directory, for the error message ("pretrain vit")
     * @throws IOException if the jar lacks a file, naming it and what to do
     */
    public static Path copy(String resourceDir, List<String> names, String pretrainCommand, Path dir)
            throws IOException {
        Files.createDirectories(dir);
        for (String name : names) {
            try (InputStream in = ShippedFiles.class.getResourceAsStream(resourceDir + name)) {
                if (in == null) {
                    throw new IOException("The class path lacks " + resourceDir + name + "; the peft4j-models jar "
                            + "is incomplete: rebuild it, or pass a directory written by 'peft4j " + pretrainCommand
                            + "'");
                }
                Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    /**
     * Deletes the named copies and then {@code dir} (a model loaded from them keeps its tensors: they were copied
     * into NDArrays, and Linux keeps a live mapping valid).
     */
    public static void delete(Path dir, List<String> names) throws IOException {
        for (String name : names) {
            Files.deleteIfExists(dir.resolve(name));
        }
        Files.deleteIfExists(dir);
    }
}
