package dev.peft4j.models.dit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.models.nn.FeedForward;
import dev.peft4j.models.nn.LayerNorm;
import dev.peft4j.models.nn.MultiHeadAttention;

/**
 * One DiT block with adaLN-Zero conditioning (DiT's {@code DiTBlock}): the conditioning {@code c} gives, through
 * {@code adaLN_modulation.1(silu(c))}, a shift, scale and gate for each branch, and
 * {@code x + gate_msa * attn(modulate(norm1(x), shift_msa, scale_msa))}, then the same for the MLP, with
 * {@code modulate(x, shift, scale) = x * (1 + scale) + shift} and LayerNorms without affine parameters. The
 * modulation starts at zero, so each gate is 0 and the block is the identity at init.
 */
final class DitBlock {

    private final LayerNorm norm;
    private final MultiHeadAttention attention;
    private final FeedForward mlp;
    private final LinearSlot modulation;

    DitBlock(LayerNorm norm, MultiHeadAttention attention, FeedForward mlp, LinearSlot modulation) {
        this.norm = norm;
        this.attention = attention;
        this.mlp = mlp;
        this.modulation = modulation;
    }

    /**
     * @param x [batch, patches, hidden]
     * @param siluCondition [batch, hidden]: {@code silu(c)}, c the timestep plus class embedding (computed once for
     *     all blocks: each block's {@code adaLN_modulation} starts with the same SiLU)
     */
    NDArray forward(NDArray x, NDArray siluCondition, AdapterSelection selection) {
        NDList m = modulation.forward(siluCondition, selection).split(6, 1); // 6 x [batch, hidden]
        NDArray attended = attention.forward(modulate(norm.forward(x), m.get(0), m.get(1)), null, false, selection);
        NDArray h = attended.mul(m.get(2).expandDims(1)).add(x);
        NDArray fed = mlp.forward(modulate(norm.forward(h), m.get(3), m.get(4)), selection);
        return fed.mul(m.get(5).expandDims(1)).add(h);
    }

    /** {@code x * (1 + scale) + shift}, scale and shift [batch, hidden] broadcast over the patches. */
    static NDArray modulate(NDArray x, NDArray shift, NDArray scale) {
        return x.mul(scale.expandDims(1).add(1f)).add(shift.expandDims(1));
    }
}
