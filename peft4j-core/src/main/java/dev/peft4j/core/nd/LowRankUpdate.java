package dev.peft4j.core.nd;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/** The update {@code scale * B A} of the LoRA-style layers (LoRA, PiSSA), factored in training and dense in merges. */
public final class LowRankUpdate {

    private LowRankUpdate() {
    }

    /**
     * {@code baseOut + scale * B (A x)}: the factored path, r (m + n) multiply-adds per token instead of m n.
     *
     * @param a [r, n]
     * @param b [m, r]
     */
    public static NDArray addTo(NDArray baseOut, NDArray x, NDArray a, NDArray b, float scale) {
        NDArray up = path(x, a, b);
        return baseOut.add(scale == 1f ? up : Scalars.mul(up, scale));
    }

    /** {@code B (A x)} [..., m], unscaled. */
    public static NDArray path(NDArray x, NDArray a, NDArray b) {
        NDArray down = Linear.linear(x, a, null).singletonOrThrow(); // [..., r]
        return Linear.linear(down, b, null).singletonOrThrow();
    }

    /** {@code scale * B A} as a new dense [m, n] array. */
    public static NDArray dense(NDArray a, NDArray b, float scale) {
        try (NDArray product = b.matMul(a)) {
            return product.mul(scale);
        }
    }
}
