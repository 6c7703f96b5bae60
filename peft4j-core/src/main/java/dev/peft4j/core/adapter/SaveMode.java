package dev.peft4j.core.adapter;

/** How much of an adapter goes into its file. */
public enum SaveMode {
    /** Only the trained tensors and base fingerprints; factors are recomputed on load (tiny files). */
    COMPACT,
    /** Also the decomposition factors, so loading needs no recomputation and tolerates another base. */
    PORTABLE
}
