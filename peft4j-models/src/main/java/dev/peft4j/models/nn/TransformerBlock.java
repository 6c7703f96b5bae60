package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.AdapterSelection;

/** One residual block of attention and feed-forward, [batch, seq, hidden] -> [batch, seq, hidden]. */
public interface TransformerBlock {

    /**
     * @param bias additive attention bias ({@link AttentionMasks}: padding, causal or both), or null to attend everywhere
     * @param training applies dropout when true
     * @param selection the adapter per row; null: the slots' active adapters
     */
    NDArray forward(NDArray x, NDArray bias, boolean training, AdapterSelection selection);
}
