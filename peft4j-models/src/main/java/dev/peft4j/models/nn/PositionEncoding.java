package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;

/**
 * Position information applied to queries and keys after the head split, before their dot product: the hook for
 * rotary embeddings (RoPE rotates each head's q and k by its position). Encoders with learned absolute positions
 * add them to the embeddings instead and use {@link #NONE}; additive schemes on the scores (ALiBi) go in the mask.
 */
@FunctionalInterface
public interface PositionEncoding {

    /** Leaves q and k as they are (the very same tensors, no op). */
    PositionEncoding NONE = (heads, positionIds) -> heads;

    /**
     * @param heads queries [batch, numHeads, seq, headSize] or keys [batch, numKeyValueHeads, seq, headSize]
     * @param positionIds [batch, seq] or [1, seq] absolute positions (a decoder with a cache starts past 0), or
     *     null for 0..seq-1
     * @return the same shape
     */
    NDArray apply(NDArray heads, NDArray positionIds);
}
