package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.AdapterSelection;

/**
 * A transformer's position-wise MLP, [..., hidden] -> [..., hidden]. {@link TwoLayerFeedForward} is the encoders'
 * {@code down(act(up(x)))}; a gated decoder MLP (SwiGLU: {@code down(silu(gate(x)) * up(x))}) is another
 * implementation with a third slot, and the blocks take either.
 */
public interface FeedForward {

    /** @param selection the adapter per row; null: the slots' active adapters */
    NDArray forward(NDArray x, AdapterSelection selection);
}
