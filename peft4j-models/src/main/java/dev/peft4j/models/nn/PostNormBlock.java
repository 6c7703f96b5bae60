package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.AdapterSelection;
import java.util.Objects;

/**
 * The original Transformer's (and BERT's) block: {@code h = norm1(x + drop(attn(x)))}, then
 * {@code norm2(h + drop(ffn(h)))}.
 *
 * <p>Every op takes the activation as its first operand: DJL attaches a result to the first operand's manager, so
 * intermediates live (and die) with the caller's batch manager, never with the model's.
 */
public final class PostNormBlock implements TransformerBlock {

    private final MultiHeadAttention attention;
    private final Norm attentionNorm;
    private final FeedForward feedForward;
    private final Norm outputNorm;
    private final Dropout residualDropout;

    public PostNormBlock(MultiHeadAttention attention, Norm attentionNorm, FeedForward feedForward, Norm outputNorm,
            float residualDropout) {
        this.attention = Objects.requireNonNull(attention, "attention");
        this.attentionNorm = Objects.requireNonNull(attentionNorm, "attentionNorm");
        this.feedForward = Objects.requireNonNull(feedForward, "feedForward");
        this.outputNorm = Objects.requireNonNull(outputNorm, "outputNorm");
        this.residualDropout = new Dropout(residualDropout);
    }

    @Override
    public NDArray forward(NDArray x, NDArray bias, boolean training, AdapterSelection selection) {
        NDArray attended = residualDropout.apply(attention.forward(x, bias, training, selection), training);
        NDArray h = attentionNorm.forward(attended.add(x));
        NDArray out = residualDropout.apply(feedForward.forward(h, selection), training);
        return outputNorm.forward(out.add(h));
    }
}
