package dev.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.models.nn.LayerNorm;
import dev.peft4j.models.nn.MultiHeadAttention;
import dev.peft4j.models.nn.PostNormBlock;
import dev.peft4j.models.nn.TransformerBlock;
import dev.peft4j.models.nn.TwoLayerFeedForward;
import java.util.Map;

/**
 * One encoder layer of Hugging Face's {@code BertLayer}: a post-norm block (self-attention, then the GELU
 * feed-forward, each followed by dropout, a residual add and LayerNorm) assembled under BERT's module names.
 */
final class BertLayer {

    private BertLayer() {
    }

    /** The block of {@code prefix} ({@code encoder.layer.N.}) over the model's slots and parameters. */
    static TransformerBlock create(BertConfig config, String prefix, Map<String, LinearSlot> slots,
            Map<String, NDArray> params) {
        MultiHeadAttention attention = MultiHeadAttention.encoder(slots.get(prefix + "attention.self.query"),
                slots.get(prefix + "attention.self.key"), slots.get(prefix + "attention.self.value"),
                slots.get(prefix + "attention.output.dense"), config.numHeads(), config.headSize(),
                config.attentionDropout());
        return new PostNormBlock(attention,
                LayerNorm.fromParameters(params, prefix + "attention.output.LayerNorm", config.layerNormEps()),
                TwoLayerFeedForward.gelu(slots.get(prefix + "intermediate.dense"), slots.get(prefix + "output.dense")),
                LayerNorm.fromParameters(params, prefix + "output.LayerNorm", config.layerNormEps()),
                config.hiddenDropout());
    }
}
