package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.Objects;

/**
 * The gated MLP of Llama ({@code LlamaMLP}, SwiGLU; Shazeer 2020): {@code down(silu(gate(x)) * up(x))}, three slots
 * ({@code mlp.gate_proj}, {@code mlp.up_proj}, {@code mlp.down_proj}) that adapters target by name.
 */
public final class GatedFeedForward implements FeedForward {

    private final LinearSlot gate;
    private final LinearSlot up;
    private final LinearSlot down;

    public GatedFeedForward(LinearSlot gate, LinearSlot up, LinearSlot down) {
        this.gate = Objects.requireNonNull(gate, "gate projection slot");
        this.up = Objects.requireNonNull(up, "up projection slot");
        this.down = Objects.requireNonNull(down, "down projection slot");
        if (gate.outFeatures() != up.outFeatures() || gate.inFeatures() != up.inFeatures()) {
            throw new IllegalArgumentException("Gated feed-forward: " + gate.name() + " [" + gate.outFeatures() + ", "
                    + gate.inFeatures() + "] and " + up.name() + " [" + up.outFeatures() + ", " + up.inFeatures()
                    + "] must have the same shape");
        }
        if (down.inFeatures() != up.outFeatures()) {
            throw new IllegalArgumentException("Gated feed-forward " + up.name() + " gives " + up.outFeatures()
                    + " features but " + down.name() + " reads " + down.inFeatures());
        }
    }

    @Override
    public NDArray forward(NDArray x, AdapterSelection selection) {
        NDArray g = gate.forward(x, selection);
        // silu(g) = g * sigmoid(g), written out: DJL's swish takes its beta as a Java Number (see Scalars)
        return down.forward(g.mul(Activation.sigmoid(g)).mul(up.forward(x, selection)), selection);
    }
}
