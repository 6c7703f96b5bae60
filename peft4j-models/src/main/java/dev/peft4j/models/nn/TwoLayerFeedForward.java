package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * {@code down(act(up(x)))}: BERT's {@code intermediate.dense} / {@code output.dense}, ViT's the same. No dropout
 * here: the block drops the branch before its residual add.
 */
public final class TwoLayerFeedForward implements FeedForward {

    private final LinearSlot up;
    private final UnaryOperator<NDArray> activation;
    private final LinearSlot down;

    public TwoLayerFeedForward(LinearSlot up, UnaryOperator<NDArray> activation, LinearSlot down) {
        this.up = Objects.requireNonNull(up, "up projection slot");
        this.activation = Objects.requireNonNull(activation, "activation");
        this.down = Objects.requireNonNull(down, "down projection slot");
        if (down.inFeatures() != up.outFeatures()) {
            throw new IllegalArgumentException("Feed-forward " + up.name() + " gives " + up.outFeatures()
                    + " features but " + down.name() + " reads " + down.inFeatures());
        }
    }

    /** With the exact (erf) GELU of BERT and ViT, not the tanh approximation. */
    public static TwoLayerFeedForward gelu(LinearSlot up, LinearSlot down) {
        return new TwoLayerFeedForward(up, Activation::gelu, down);
    }

    @Override
    public NDArray forward(NDArray x, AdapterSelection selection) {
        return down.forward(activation.apply(up.forward(x, selection)), selection);
    }
}
