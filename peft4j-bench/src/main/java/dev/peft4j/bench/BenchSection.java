package dev.peft4j.bench;

import java.util.Arrays;
import java.util.Locale;

/** The parts of {@code peft4j bench}, each selectable on its own. */
public enum BenchSection {
    /** fp32 GEMM throughput of the engine and the cost of one tiny engine call. */
    GEMM,
    /** Decompose-and-wrap time of LoLDU, truncated versus full LU. */
    INIT,
    /** One training step per method, as a ratio to the floor and a fraction of the GEMM ceiling. */
    TRAIN,
    /** Sequences per second: base, LoLDU unmerged, LoLDU merged. */
    INFERENCE,
    /** Tokens per second of the shipped decoder, with and without the key/value cache, batch 1 and 8. */
    GENERATE,
    /** Peak resident memory per configuration (one child JVM each), trainable state and adapter file sizes. */
    MEMORY,
    /** Many tenants' adapters over one base: batched per-row forward against base, per-adapter loop, merged swaps. */
    SERVE;

    /** The section named {@code id} (case-insensitive), or an error listing the names. */
    public static BenchSection fromId(String id) {
        for (BenchSection section : values()) {
            if (section.name().equalsIgnoreCase(id.trim())) {
                return section;
            }
        }
        throw new IllegalArgumentException("Unknown bench section '" + id + "'; use one or more of "
                + Arrays.stream(values()).map(s -> s.name().toLowerCase(Locale.ROOT)).toList());
    }
}
