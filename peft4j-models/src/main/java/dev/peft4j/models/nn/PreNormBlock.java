package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.AdapterSelection;
import java.util.Objects;

/**
 * The pre-norm block of ViT, GPT-2 and Llama: {@code h = x + drop(attn(norm1(x)))}, then
 * {@code h + drop(ffn(norm2(h)))}; the residual stream itself is never normalised, so a model ends with a final norm.
 *
 * <p>Every op takes the activation as its first operand: DJL attaches a result to the first operand's manager, so
 * intermediates live (and die) with the caller's batch manager, never with the model's.
 */
public final class PreNormBlock implements TransformerBlock {

    private final Norm attentionNorm;
    private final MultiHeadAttention attention;
    private final Norm feedForwardNorm;
    private final FeedForward feedForward;
    private final Dropout residualDropout;

    public PreNormBlock(Norm attentionNorm, MultiHeadAttention attention, Norm feedForwardNorm,
            FeedForward feedForward, float residualDropout) {
        this.attentionNorm = Objects.requireNonNull(attentionNorm, "attentionNorm");
        this.attention = Objects.requireNonNull(attention, "attention");
        this.feedForwardNorm = Objects.requireNonNull(feedForwardNorm, "feedForwardNorm");
        this.feedForward = Objects.requireNonNull(feedForward, "feedForward");
        this.residualDropout = new Dropout(residualDropout);
    }

    @Override
    public NDArray forward(NDArray x, NDArray bias, boolean training, AdapterSelection selection) {
        return forward(x, bias, null, null, training, selection);
    }

    /**
     * The decoder's form: positions for the {@link PositionEncoding} (null: 0..seq-1) and this layer's slot in a
     * {@link KeyValueCache} (null: none).
     */
    public NDArray forward(NDArray x, NDArray bias, NDArray positionIds, KeyValueCache.Layer cache, boolean training,
            AdapterSelection selection) {
        NDArray attended = residualDropout.apply(attention.forward(attentionNorm.forward(x), bias, positionIds, cache,
                training, selection), training);
        NDArray h = attended.add(x);
        NDArray out = residualDropout.apply(feedForward.forward(feedForwardNorm.forward(h), selection), training);
        return out.add(h);
    }
}
