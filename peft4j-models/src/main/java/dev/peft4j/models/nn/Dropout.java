package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.nd.DropoutMask;

/** Inverted dropout at a fixed rate, applied only while training; the identity (same tensor) otherwise. */
public final class Dropout {

    private final float rate;

    public Dropout(float rate) {
        if (!(rate >= 0f && rate < 1f)) {
            throw new IllegalArgumentException("Dropout rate must be in [0, 1), found " + rate);
        }
        this.rate = rate;
    }

    public float rate() {
        return rate;
    }

    /** {@code x} itself when not training or at rate 0, so evaluation adds no op at all. */
    public NDArray apply(NDArray x, boolean training) {
        return apply(x, rate, training);
    }

    /** {@link #apply(NDArray, boolean)} without an instance, for one-off uses such as a classifier's pooled vector. */
    public static NDArray apply(NDArray x, float rate, boolean training) {
        if (!training || rate == 0f) {
            return x;
        }
        return DropoutMask.apply(x, rate); // not the engine's: see DropoutMask for why
    }
}
