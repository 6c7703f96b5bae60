package dev.peft4j.models.vit;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * The small ViT pretrained here on Fashion-MNIST and shipped inside this jar (under {@value #RESOURCE_DIR}; its
 * README gives the command, seed, data and measured accuracy). It is the base of the vision transfer experiment:
 * no pretrained ViT is reachable from these machines.
 */
public final class PretrainedVit {

    /** Class-path folder of the checkpoint. */
    public static final String RESOURCE_DIR = "/dev/peft4j/models/vit/pretrained/";
    static final List<String> FILES = List.of(VitConfig.FILE, VitWeights.WEIGHTS_FILE);

    private PretrainedVit() {
    }

    /**
     * Copies the checkpoint's files from the class path into {@code dir} (safetensors are memory-mapped, which
     * needs a real file) and returns {@code dir}.
     *
     * @throws IOException if the jar lacks a file, naming it
     */
    public static Path copyTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : FILES) {
            try (InputStream in = PretrainedVit.class.getResourceAsStream(RESOURCE_DIR + name)) {
                if (in == null) {
                    throw new IOException("The class path lacks " + RESOURCE_DIR + name + "; the peft4j-models jar "
                            + "is incomplete: rebuild it, or pass a directory written by 'peft4j pretrain vit'");
                }
                Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    /** The pretrained model with its Fashion-MNIST head. */
    public static VitModel load(NDManager parent) throws IOException {
        Path dir = Files.createTempDirectory("peft4j-vit-");
        try {
            return VitModel.load(copyTo(dir), parent);
        } finally {
            deleteCopies(dir);
        }
    }

    /** The pretrained backbone with a fresh head of {@code numLabels} classes ({@link VitModel#loadWithNewHead}). */
    public static VitModel loadWithNewHead(int numLabels, long seed, NDManager parent) throws IOException {
        Path dir = Files.createTempDirectory("peft4j-vit-");
        try {
            return VitModel.loadWithNewHead(copyTo(dir), numLabels, seed, parent);
        } finally {
            deleteCopies(dir);
        }
    }

    private static void deleteCopies(Path dir) throws IOException {
        // the tensors were copied into NDArrays, so the mapped file may go (Linux keeps a live mapping valid)
        for (String name : FILES) {
            Files.deleteIfExists(dir.resolve(name));
        }
        Files.deleteIfExists(dir);
    }
}
