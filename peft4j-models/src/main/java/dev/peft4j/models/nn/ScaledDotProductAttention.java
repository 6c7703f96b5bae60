package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.nd.Scalars;

/**
 * {@code dropout(softmax(Q K^T / sqrt(d) + bias)) V} on tensors already split into heads. Written out op by op (not
 * a fused kernel) so that every model computes exactly what its original implementation computed.
 */
public final class ScaledDotProductAttention {

    private final float scale; // sqrt(headSize), the divisor
    private final Dropout probabilityDropout;

    public ScaledDotProductAttention(int headSize, float attentionDropout) {
        this.scale = (float) Math.sqrt(headSize);
        this.probabilityDropout = new Dropout(attentionDropout);
    }

    /**
     * @param q [batch, heads, queries, d]
     * @param keysTransposed [batch, heads, d, keys]
     * @param v [batch, heads, keys, d]
     * @param bias additive, broadcast to [batch, heads, queries, keys] (see {@link AttentionMasks}), or null
     * @return [batch, heads, queries, d]
     */
    public NDArray forward(NDArray q, NDArray keysTransposed, NDArray v, NDArray bias, boolean training) {
        // The queries are divided, not the scores (as PyTorch's scaled_dot_product_attention scales before the
        // product): [.., queries, d] is d/keys the size of [.., queries, keys], and the division's backward on the
        // scores cost 6-9% of a MiniLM training step (profiled, batch 32 x 128 tokens). Scalars: differentiated.
        NDArray scores = Scalars.div(q, scale).matMul(keysTransposed);
        if (bias != null) {
            scores = scores.add(bias);
        }
        NDArray probs = probabilityDropout.apply(scores.softmax(-1), training);
        return probs.matMul(v);
    }
}
