package dev.peft4j.models.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.norm.LayerNorm;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.nd.Scalars;
import java.util.Map;

/**
 * One pre-LayerNorm encoder block (Hugging Face's {@code ViTLayer}): {@code h = x + attn(LN(x))}, then
 * {@code h + mlp(LN(h))}, with dropout on each branch.
 *
 * <p>Every op takes the activation as its first operand: DJL attaches a result to the first operand's manager,
 * so intermediates live (and die) with the caller's batch manager, never with the model's.
 */
final class VitLayer {

    private final VitConfig config;
    private final LinearSlot query;
    private final LinearSlot key;
    private final LinearSlot value;
    private final LinearSlot attentionOutput;
    private final LinearSlot intermediate;
    private final LinearSlot output;
    private final NDArray beforeGamma;
    private final NDArray beforeBeta;
    private final NDArray afterGamma;
    private final NDArray afterBeta;

    VitLayer(VitConfig config, String prefix, Map<String, LinearSlot> slots, Map<String, NDArray> params) {
        this.config = config;
        this.query = slots.get(prefix + "attention.attention.query");
        this.key = slots.get(prefix + "attention.attention.key");
        this.value = slots.get(prefix + "attention.attention.value");
        this.attentionOutput = slots.get(prefix + "attention.output.dense");
        this.intermediate = slots.get(prefix + "intermediate.dense");
        this.output = slots.get(prefix + "output.dense");
        this.beforeGamma = params.get(prefix + "layernorm_before.weight");
        this.beforeBeta = params.get(prefix + "layernorm_before.bias");
        this.afterGamma = params.get(prefix + "layernorm_after.weight");
        this.afterBeta = params.get(prefix + "layernorm_after.bias");
    }

    /** x [batch, tokens, hidden] -> [batch, tokens, hidden]. */
    NDArray forward(NDArray x, boolean training) {
        NDArray normed = layerNorm(x, beforeGamma, beforeBeta, config);
        NDArray attended = dropout(attentionOutput.forward(selfAttention(normed, training)), config.hiddenDropout(),
                training);
        NDArray h = attended.add(x);
        NDArray inner = Activation.gelu(intermediate.forward(layerNorm(h, afterGamma, afterBeta, config))); // [b, t, f]
        return dropout(output.forward(inner), config.hiddenDropout(), training).add(h);
    }

    /** softmax(Q K^T / sqrt(d)) V, heads concatenated: [batch, tokens, hidden]. */
    private NDArray selfAttention(NDArray x, boolean training) {
        long batch = x.getShape().get(0);
        long tokens = x.getShape().get(1);
        NDArray q = splitHeads(query.forward(x), batch, tokens); // [batch, heads, tokens, d]
        NDArray k = splitHeads(key.forward(x), batch, tokens).transpose(0, 1, 3, 2); // [batch, heads, d, tokens]
        NDArray v = splitHeads(value.forward(x), batch, tokens);
        NDArray scores = Scalars.div(q.matMul(k), (float) Math.sqrt(config.headSize())); // [batch, heads, tokens, tokens]
        NDArray probs = dropout(scores.softmax(-1), config.attentionDropout(), training);
        return probs.matMul(v).transpose(0, 2, 1, 3).reshape(batch, tokens, config.hiddenSize());
    }

    private NDArray splitHeads(NDArray t, long batch, long tokens) {
        return t.reshape(batch, tokens, config.numHeads(), config.headSize()).transpose(0, 2, 1, 3);
    }

    static NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta, VitConfig config) {
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
