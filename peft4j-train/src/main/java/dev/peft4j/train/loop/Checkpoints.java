package dev.peft4j.train.loop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * What a caller outside the loop may do with a run folder's checkpoint: ask how far it got, and copy it to another
 * folder that then resumes from it (a data-parallel worker that does not own the shared checkpoint folder).
 */
public final class Checkpoints {

    private Checkpoints() {
    }

    /** The optimiser steps the latest checkpoint in {@code dir} had taken, or -1 when there is none. */
    public static int latestStep(Path dir) throws IOException {
        Checkpoint.Loaded loaded = Checkpoint.load(dir);
        return loaded == null ? -1 : loaded.position().globalStep();
    }

    /**
     * Copies the latest checkpoint of {@code from} into {@code to} (pointer last, as the trainer writes it), so that
     * a run resuming in {@code to} continues where {@code from} stopped.
     *
     * @throws IOException when {@code from} has no checkpoint
     */
    public static void copyLatest(Path from, Path to) throws IOException {
        Path pointer = from.resolve(Checkpoint.POINTER);
        if (!Files.exists(pointer)) {
            throw new IOException("No checkpoint in " + from + " (no " + Checkpoint.POINTER + ")");
        }
        String name = Files.readString(pointer).trim();
        Path target = Files.createDirectories(to.resolve(name));
        try (Stream<Path> files = Files.list(from.resolve(name))) {
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        Files.copy(pointer, to.resolve(Checkpoint.POINTER));
    }
}
