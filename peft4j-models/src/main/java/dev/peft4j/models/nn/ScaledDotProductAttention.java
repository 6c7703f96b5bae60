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
        NDArray scores = Scalars.div(q.matMul(keysTransposed), scale); // Scalars: differentiated, see its javadoc
        if (bias != null) {
            scores = scores.add(bias);
        }
        NDArray probs = probabilityDropout.apply(scores.softmax(-1), training);
        return probs.matMul(v);
    }
}
