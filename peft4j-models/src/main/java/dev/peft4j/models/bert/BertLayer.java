package dev.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.nd.Scalars;
import java.util.Map;

/**
 * One post-LayerNorm encoder layer: multi-head self-attention, then the GELU feed-forward block,
 * each followed by dropout, a residual add and LayerNorm (Hugging Face's {@code BertLayer}).
 *
 * <p>Every op takes the activation as its first operand: DJL attaches a result to the first
 * operand's manager, so intermediates live (and die) with the caller's batch manager, never with
 * the model's.
 */
final class BertLayer {

    private final BertConfig config;
    private final LinearSlot query;
    private final LinearSlot key;
    private final LinearSlot value;
    private final LinearSlot attentionOutput;
    private final LinearSlot intermediate;
    private final LinearSlot output;
    private final NDArray attentionNormGamma;
    private final NDArray attentionNormBeta;
    private final NDArray outputNormGamma;
    private final NDArray outputNormBeta;

    BertLayer(BertConfig config, String prefix, Map<String, LinearSlot> slots, Map<String, NDArray> params) {
        this.config = config;
        this.query = slots.get(prefix + "attention.self.query");
        this.key = slots.get(prefix + "attention.self.key");
        this.value = slots.get(prefix + "attention.self.value");
        this.attentionOutput = slots.get(prefix + "attention.output.dense");
        this.intermediate = slots.get(prefix + "intermediate.dense");
        this.output = slots.get(prefix + "output.dense");
        this.attentionNormGamma = params.get(prefix + "attention.output.LayerNorm.weight");
        this.attentionNormBeta = params.get(prefix + "attention.output.LayerNorm.bias");
        this.outputNormGamma = params.get(prefix + "output.LayerNorm.weight");
        this.outputNormBeta = params.get(prefix + "output.LayerNorm.bias");
    }

    /**
     * @param x [batch, seq, hidden]
     * @param maskBias [batch, 1, 1, seq], 0 where attended and a huge negative number at padding, or null
     */
    NDArray forward(NDArray x, NDArray maskBias, boolean training) {
        NDArray attended = dropout(attentionOutput.forward(selfAttention(x, maskBias, training)),
                config.hiddenDropout(), training);
        NDArray h = layerNorm(attended.add(x), attentionNormGamma, attentionNormBeta);
        NDArray inner = Activation.gelu(intermediate.forward(h)); // [batch, seq, ffn], exact erf GELU
        NDArray out = dropout(output.forward(inner), config.hiddenDropout(), training);
        return layerNorm(out.add(h), outputNormGamma, outputNormBeta);
    }

    /** softmax(Q K^T / sqrt(d) + mask) V, heads concatenated: [batch, seq, hidden]. */
    private NDArray selfAttention(NDArray x, NDArray maskBias, boolean training) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        NDArray q = splitHeads(query.forward(x), batch, seq); // [batch, heads, seq, d]
        NDArray k = splitHeads(key.forward(x), batch, seq).transpose(0, 1, 3, 2); // [batch, heads, d, seq]
        NDArray v = splitHeads(value.forward(x), batch, seq);
        NDArray scores = Scalars.div(q.matMul(k), (float) Math.sqrt(config.headSize())); // [batch, heads, seq, seq]
        if (maskBias != null) {
            scores = scores.add(maskBias);
        }
        NDArray probs = dropout(scores.softmax(-1), config.attentionDropout(), training);
        return probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, seq, config.hiddenSize());
    }

    private NDArray splitHeads(NDArray t, long batch, long seq) {
        return t.reshape(batch, seq, config.numHeads(), config.headSize()).transpose(0, 2, 1, 3);
    }

    private NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), gamma, beta, config.layerNormEps())
                .singletonOrThrow();
    }

    static NDArray dropout(NDArray x, float rate, boolean training) {
        if (!training || rate == 0f) {
            return x;
        }
        return Dropout.dropout(x, rate, true).singletonOrThrow();
    }
}
