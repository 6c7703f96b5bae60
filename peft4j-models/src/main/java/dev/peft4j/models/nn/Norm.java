package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;

/** A normalisation over the last (hidden) axis with learned parameters: {@link LayerNorm}, {@link RmsNorm}. */
public interface Norm {

    /** [..., hidden] -> [..., hidden]. */
    NDArray forward(NDArray x);
}
