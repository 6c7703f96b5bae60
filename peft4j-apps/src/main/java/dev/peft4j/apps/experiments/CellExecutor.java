package dev.peft4j.apps.experiments;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Runs one cell of the grid. The command line runs each cell in a fresh JVM (so that peak memory
 * is the run's own and a crash loses one cell); tests run cells in-process.
 */
public interface CellExecutor {

    /** Trains {@code row} on {@code task} with {@code seed}, writing its outputs under {@code cellDir}. */
    CellResult run(ExperimentConfig config, ExperimentConfig.MethodRow row, String task, long seed, Path cellDir)
            throws IOException;
}
