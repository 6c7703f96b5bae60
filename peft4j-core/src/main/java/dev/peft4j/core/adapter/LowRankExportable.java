package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;

/**
 * A layer whose change to the ORIGINAL base weight is a rank-r product {@code B A}, so it exports
 * exactly as a standard LoRA adapter against the unmodified base (read by vLLM, LoRAX, llama.cpp).
 */
public interface LowRankExportable {

    /** Factors with {@code W_eff - W = B A}: A is [r, n], B is [m, r]. The caller closes them. */
    LoraFactors loraFactors();

    /** LoRA's A [r, n] and B [m, r]. */
    record LoraFactors(NDArray a, NDArray b) implements AutoCloseable {
        @Override
        public void close() {
            a.close();
            b.close();
        }
    }
}
