package dev.peft4j.models.dit;

import ai.djl.ndarray.NDManager;
import dev.peft4j.models.io.HuggingFaceJson;
import dev.peft4j.models.io.ShippedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;

/**
 * The class-conditional DiT pretrained here on Fashion-MNIST and shipped inside this jar (its folder's README gives
 * the command, seed, data, held-out classes and measured figures): no diffusion weights are reachable from these
 * machines, so the personalisation experiment starts from this one.
 */
public final class PretrainedDit {

    /** The pretraining record that names the class table; written by {@code peft4j pretrain dit}. */
    public static final String RESULT_FILE = "pretrain_result.json";

    /** The shipped checkpoints. */
    public enum Checkpoint {
        /** Fashion-MNIST without Bag (8) and Ankle boot (9), whose spare rows personalisation binds. */
        FASHION_MNIST("dit-fashion-mnist", "/dev/peft4j/models/dit/pretrained-fashion/");

        private final String id;
        private final String resourceDir;

        Checkpoint(String id, String resourceDir) {
            this.id = id;
            this.resourceDir = resourceDir;
        }

        /** The id used on the command line and in experiment configs. */
        public String id() {
            return id;
        }

        /** Class-path folder of the checkpoint's files. */
        public String resourceDir() {
            return resourceDir;
        }

        /** The checkpoint with this id, or null. */
        public static Checkpoint byId(String id) {
            return Arrays.stream(values()).filter(c -> c.id.equals(id)).findFirst().orElse(null);
        }

        /** Every shipped id, for error messages. */
        public static List<String> ids() {
            return Arrays.stream(values()).map(Checkpoint::id).toList();
        }
    }

    static final List<String> FILES = List.of(DitConfig.FILE, DitWeights.WEIGHTS_FILE, RESULT_FILE);

    private PretrainedDit() {
    }

    /** Whether {@code idOrDir} is a shipped id or a directory whose {@code config.json} says {@code dit}. */
    public static boolean isDit(String idOrDir) {
        if (Checkpoint.byId(idOrDir) != null) {
            return true;
        }
        return "dit".equals(HuggingFaceJson.modelType(Path.of(idOrDir)));
    }

    /**
     * Copies the checkpoint's files from the class path into {@code dir} (safetensors are memory-mapped, which needs
     * a real file; the record goes with them so that the class table is read as for any pretrained directory).
     *
     * @throws IOException if the jar lacks a file, naming it
     */
    public static Path copyTo(Checkpoint checkpoint, Path dir) throws IOException {
        return ShippedFiles.copy(checkpoint.resourceDir(), FILES, "pretrain dit", dir);
    }

    /**
     * A directory holding the checkpoint's files, {@code root/shipped/<id>}, copied there the first time into a
     * temporary sibling and then moved, so that a killed copy leaves nothing half-written and processes that start
     * together (an experiment's child JVMs) never read a partial copy: code that takes a DiT directory
     * (personalisation, its child JVMs) takes the shipped model through this.
     *
     * @throws IOException if the jar lacks a file, or the directory exists without all of them (naming it)
     */
    public static Path directory(Checkpoint checkpoint, Path root) throws IOException {
        Path dir = root.resolve("shipped").resolve(checkpoint.id());
        if (!Files.exists(dir)) {
            Files.createDirectories(dir.getParent());
            Path partial = Files.createTempDirectory(dir.getParent(), checkpoint.id() + ".partial-");
            try {
                copyTo(checkpoint, partial);
                Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                deleteCopies(partial);
                if (!Files.exists(dir)) {
                    throw e;
                } // else another process moved its copy first, which serves as well
            }
        }
        if (!FILES.stream().allMatch(name -> Files.isRegularFile(dir.resolve(name)))) {
            throw new IOException(dir + " lacks some of " + FILES + " of the shipped " + checkpoint.id()
                    + "; delete that directory and it is copied again from the jar");
        }
        return dir;
    }

    /**
     * The shipped id or the directory, whichever {@code idOrDirectory} names: a shipped id resolves to
     * {@link #directory(Checkpoint, Path)} under {@code root}.
     *
     * @throws IOException if it is neither, naming the shipped ids
     */
    public static Path resolve(String idOrDirectory, Path root) throws IOException {
        Checkpoint checkpoint = Checkpoint.byId(idOrDirectory);
        if (checkpoint != null) {
            return directory(checkpoint, root);
        }
        Path dir = Path.of(idOrDirectory);
        if (!Files.isDirectory(dir)) {
            throw new IOException("DiT " + idOrDirectory + " is neither a shipped DiT " + Checkpoint.ids()
                    + " nor a directory; pass one of those ids or a directory written by 'peft4j pretrain dit'");
        }
        return dir;
    }

    /** The shipped model, named by its id (an adapter's {@code base_model_name_or_path}). */
    public static DitModel load(Checkpoint checkpoint, NDManager parent) throws IOException {
        Path dir = Files.createTempDirectory("peft4j-dit-");
        try {
            return DitModel.load(copyTo(checkpoint, dir), parent).identifiedAs(checkpoint.id());
        } finally {
            deleteCopies(dir);
        }
    }

    private static void deleteCopies(Path dir) throws IOException {
        ShippedFiles.delete(dir, FILES);
    }
}
