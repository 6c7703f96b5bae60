package dev.peft4j.train.loop;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Writes a {@link Checkpoint} every {@code every} optimiser steps (0: never mid-epoch), at the step where a run stops
 * on purpose, and at every epoch's end.
 */
final class CheckpointWriter implements TrainingListener {

    private final Path outputDir;
    private final int every;

    CheckpointWriter(Path outputDir, int every) {
        this.outputDir = outputDir;
        this.every = every;
    }

    @Override
    public void onStep(StepEnd event) {
        if (event.stopping() || every > 0 && event.globalStep() % every == 0) {
            save(event.state());
        }
    }

    @Override
    public void onEpochEnd(EpochEnd event) {
        save(event.state());
    }

    private void save(ResumableState state) {
        try {
            Checkpoint.save(outputDir, state);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write a checkpoint to " + outputDir + ": " + e.getMessage(), e);
        }
    }
}
