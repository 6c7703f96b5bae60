package dev.peft4j.models.vit;

import ai.djl.ndarray.NDManager;
import dev.peft4j.models.io.ShippedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The small ViTs pretrained here on Fashion-MNIST and shipped inside this jar (each folder's README gives the command,
 * seed, data and measured accuracy). They are the bases of the vision transfer experiments: no pretrained ViT is
 * reachable from these machines.
 */
public final class PretrainedVit {

    /** The shipped checkpoints. */
    public enum Checkpoint {
        /** Pretrained on all ten Fashion-MNIST classes; the base for MNIST. */
        FASHION_MNIST("vit-fashion-mnist", "/dev/peft4j/models/vit/pretrained/"),
        /** Pretrained on Fashion-MNIST classes 0-4 only; the base for the held-out classes 5-9. */
        FASHION_MNIST_0TO4("vit-fashion-mnist-0to4", "/dev/peft4j/models/vit/pretrained-0to4/");

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
            for (Checkpoint c : values()) {
                if (c.id.equals(id)) {
                    return c;
                }
            }
            return null;
        }

        /** Every shipped id, for error messages. */
        public static List<String> ids() {
            return java.util.Arrays.stream(values()).map(Checkpoint::id).toList();
        }
    }

    /** Class-path folder of the default checkpoint ({@link Checkpoint#FASHION_MNIST}). */
    public static final String RESOURCE_DIR = Checkpoint.FASHION_MNIST.resourceDir();
    static final List<String> FILES = List.of(VitConfig.FILE, VitWeights.WEIGHTS_FILE);

    private PretrainedVit() {
    }

    /** {@link #copyTo(Checkpoint, Path)} of the default checkpoint. */
    public static Path copyTo(Path dir) throws IOException {
        return copyTo(Checkpoint.FASHION_MNIST, dir);
    }

    /** The default checkpoint with its Fashion-MNIST head. */
    public static VitModel load(NDManager parent) throws IOException {
        return load(Checkpoint.FASHION_MNIST, parent);
    }

    /** The default checkpoint's backbone with a fresh head ({@link VitModel#loadWithNewHead}). */
    public static VitModel loadWithNewHead(int numLabels, long seed, NDManager parent) throws IOException {
        return loadWithNewHead(Checkpoint.FASHION_MNIST, numLabels, seed, parent);
    }

    /**
     * Copies the checkpoint's files from the class path into {@code dir} (safetensors are memory-mapped, which
     * needs a real file) and returns {@code dir}.
     *
     * @throws IOException if the jar lacks a file, naming it
     */
    public static Path copyTo(Checkpoint checkpoint, Path dir) throws IOException {
        return ShippedFiles.copy(checkpoint.resourceDir(), FILES, "pretrain vit", dir);
    }

    /** The pretrained model with its Fashion-MNIST head. */
    public static VitModel load(Checkpoint checkpoint, NDManager parent) throws IOException {
        Path dir = Files.createTempDirectory("peft4j-vit-");
        try {
            return VitModel.load(copyTo(checkpoint, dir), parent).identifiedAs(checkpoint.id());
        } finally {
            deleteCopies(dir);
        }
    }

    /** The pretrained backbone with a fresh head of {@code numLabels} classes ({@link VitModel#loadWithNewHead}). */
    public static VitModel loadWithNewHead(Checkpoint checkpoint, int numLabels, long seed, NDManager parent)
            throws IOException {
        Path dir = Files.createTempDirectory("peft4j-vit-");
        try {
            return VitModel.loadWithNewHead(copyTo(checkpoint, dir), numLabels, seed, parent)
                    .identifiedAs(checkpoint.id());
        } finally {
            deleteCopies(dir);
        }
    }

    private static void deleteCopies(Path dir) throws IOException {
        ShippedFiles.delete(dir, FILES);
    }
}
