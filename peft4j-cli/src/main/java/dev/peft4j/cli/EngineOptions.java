package dev.peft4j.cli;

import picocli.CommandLine.Option;

/**
 * How many CPU threads the engine uses. On a machine shared with other jobs, one thread per process avoids the
 * OpenMP contention measured in {@code bench/README.md} (two processes with two threads each on two cores ran about
 * 7x slower than one alone).
 */
final class EngineOptions {

    static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";
    static final String INTEROP_PROPERTY = "ai.djl.pytorch.num_interop_threads";

    @Option(names = "--threads", defaultValue = "0",
            description = "Engine intra-op threads; 0 = one per core (default: ${DEFAULT-VALUE}).")
    int threads;

    /** Sets the engine's thread properties; must run before the engine first loads (the first tensor). */
    void apply() {
        if (threads < 0) {
            throw new IllegalArgumentException("--threads must be 0 (one per core) or more, found " + threads);
        }
        if (threads > 0) {
            System.setProperty(THREADS_PROPERTY, String.valueOf(threads));
            System.setProperty(INTEROP_PROPERTY, "1");
        }
    }
}
