package dev.peft4j.models.vit;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.models.nn.LayerNorm;
import dev.peft4j.models.nn.MultiHeadAttention;
import dev.peft4j.models.nn.PreNormBlock;
import dev.peft4j.models.nn.TransformerBlock;
import dev.peft4j.models.nn.TwoLayerFeedForward;
import java.util.Map;

/**
 * One encoder block of Hugging Face's {@code ViTLayer}: a pre-norm block ({@code h = x + attn(LN(x))}, then
 * {@code h + mlp(LN(h))}, dropout on each branch) assembled under ViT's module names.
 */
final class VitLayer {

    private VitLayer() {
    }

    /** The block of {@code prefix} ({@code encoder.layer.N.}) over the model's slots and parameters. */
    static TransformerBlock create(VitConfig config, String prefix, Map<String, LinearSlot> slots,
            Map<String, NDArray> params) {
        MultiHeadAttention attention = MultiHeadAttention.encoder(slots.get(prefix + "attention.attention.query"),
                slots.get(prefix + "attention.attention.key"), slots.get(prefix + "attention.attention.value"),
                slots.get(prefix + "attention.output.dense"), config.numHeads(), config.headSize(),
                config.attentionDropout());
        return new PreNormBlock(LayerNorm.fromParameters(params, prefix + "layernorm_before", config.layerNormEps()),
                attention, LayerNorm.fromParameters(params, prefix + "layernorm_after", config.layerNormEps()),
                TwoLayerFeedForward.gelu(slots.get(prefix + "intermediate.dense"), slots.get(prefix + "output.dense")),
                config.hiddenDropout());
    }
}
