package dev.peft4j.apps.vision;

import ai.djl.ndarray.NDManager;
import dev.peft4j.models.dit.DitModel;
import dev.peft4j.models.dit.PretrainedDit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A DiT to generate with or personalise, with the names of its class table: the shipped checkpoint by its id
 * ({@link PretrainedDit.Checkpoint}) or a directory written by {@code peft4j pretrain dit}.
 *
 * @param model the loaded model (closing this closes it)
 * @param classNames one name per label (the table of its {@value DitPretraining#RESULT_FILE})
 */
public record DitBase(DitModel model, List<String> classNames) implements AutoCloseable {

    /**
     * @param idOrDirectory a shipped id or a directory with {@code config.json} and {@code model.safetensors}
     * @throws IOException if it is neither, saying what was looked for
     */
    public static DitBase open(String idOrDirectory, NDManager manager) throws IOException {
        PretrainedDit.Checkpoint checkpoint = PretrainedDit.Checkpoint.byId(idOrDirectory);
        if (checkpoint != null) {
            Path copy = Files.createTempDirectory("peft4j-dit-record-");
            try {
                PretrainedDit.copyTo(checkpoint, copy);
                return withNames(PretrainedDit.load(checkpoint, manager), copy);
            } finally {
                try (var files = Files.list(copy)) {
                    for (Path file : files.toList()) {
                        Files.delete(file);
                    }
                }
                Files.delete(copy);
            }
        }
        Path dir = Path.of(idOrDirectory);
        if (!Files.isDirectory(dir)) {
            throw new IOException("--model " + idOrDirectory + " is neither a shipped DiT (" + PretrainedDit.Checkpoint
                    .ids() + ") nor a directory; pass one of those ids or a directory written by 'peft4j pretrain dit'");
        }
        return withNames(DitModel.load(dir, manager), dir);
    }

    private static DitBase withNames(DitModel model, Path recordDir) throws IOException {
        try {
            return new DitBase(model, DitPretraining.classNames(recordDir, model.config().numClasses()));
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
