package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.Objects;

/**
 * Self-attention with its four projections: {@code o(attention(q(x), k(x), v(x)))}, [batch, seq, hidden] ->
 * [batch, seq, hidden]. The projections are the model's {@link LinearSlot}s under its own Hugging Face names (BERT's
 * {@code attention.self.query}, ViT's {@code attention.attention.query}, ...), so adapters attach to them as before.
 *
 * <p>For a decoder: pass a causal bias ({@link AttentionMasks#causal}), a {@link PositionEncoding} such as RoPE (applied
 * to q and k per head) and a {@link HeadLayout} with fewer key/value heads than query heads (grouped-query attention:
 * each key/value head is repeated for its group of query heads), and a {@link KeyValueCache.Layer} when generating.
 */
public final class MultiHeadAttention {

    private final LinearSlot query;
    private final LinearSlot key;
    private final LinearSlot value;
    private final LinearSlot output;
    private final HeadLayout heads;
    private final PositionEncoding positionEncoding;
    private final ScaledDotProductAttention attention;

    public MultiHeadAttention(LinearSlot query, LinearSlot key, LinearSlot value, LinearSlot output, HeadLayout heads,
            PositionEncoding positionEncoding, float attentionDropout) {
        this.query = Objects.requireNonNull(query, "query slot");
        this.key = Objects.requireNonNull(key, "key slot");
        this.value = Objects.requireNonNull(value, "value slot");
        this.output = Objects.requireNonNull(output, "output slot");
        this.heads = Objects.requireNonNull(heads, "heads");
        this.positionEncoding = Objects.requireNonNull(positionEncoding, "positionEncoding (PositionEncoding.NONE)");
        requireWidth(query, heads.queryWidth(), "numHeads * headSize");
        requireWidth(key, heads.keyValueWidth(), "numKeyValueHeads * headSize");
        requireWidth(value, heads.keyValueWidth(), "numKeyValueHeads * headSize");
        if (output.inFeatures() != heads.queryWidth()) {
            throw new IllegalArgumentException(output.name() + " reads " + output.inFeatures() + " features but the "
                    + heads.numHeads() + " heads give " + heads.queryWidth());
        }
        this.attention = new ScaledDotProductAttention(heads.headSize(), attentionDropout);
    }

    /** The encoders' attention: as many key/value heads as query heads, positions already in the embeddings. */
    public static MultiHeadAttention encoder(LinearSlot query, LinearSlot key, LinearSlot value, LinearSlot output,
            int numHeads, int headSize, float attentionDropout) {
        return new MultiHeadAttention(query, key, value, output, HeadLayout.multiHead(numHeads, headSize),
                PositionEncoding.NONE, attentionDropout);
    }

    private static void requireWidth(LinearSlot slot, int expected, String what) {
        if (slot.outFeatures() != expected) {
            throw new IllegalArgumentException(slot.name() + " gives " + slot.outFeatures() + " features but "
                    + what + " is " + expected);
        }
    }

    public HeadLayout heads() {
        return heads;
    }

    /** {@link #forward(NDArray, NDArray, NDArray, boolean, AdapterSelection)} with positions 0..seq-1. */
    public NDArray forward(NDArray x, NDArray bias, boolean training, AdapterSelection selection) {
        return forward(x, bias, null, training, selection);
    }

    /**
     * @param x [batch, seq, hidden]
     * @param bias additive attention bias broadcast to [batch, heads, seq, seq] ({@link AttentionMasks}), or null
     * @param positionIds handed to the {@link PositionEncoding}; null: 0..seq-1
     * @param selection the adapter per row; null: the slots' active adapters
     * @return [batch, seq, hidden], after the output projection (no dropout: the block drops the branch)
     */
    public NDArray forward(NDArray x, NDArray bias, NDArray positionIds, boolean training,
            AdapterSelection selection) {
        return forward(x, bias, positionIds, null, training, selection);
    }

    /**
     * {@link #forward(NDArray, NDArray, NDArray, boolean, AdapterSelection)} that also attends to the keys and values
     * cached by earlier steps and appends this step's to {@code cache} (null: no cache). The bias then covers
     * [queries, cached + queries] keys.
     */
    public NDArray forward(NDArray x, NDArray bias, NDArray positionIds, KeyValueCache.Layer cache, boolean training,
            AdapterSelection selection) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        // The op order below is the one BERT and ViT always had (q, k and k^T, then v): same calls, same bits.
        NDArray q = positionEncoding.apply(split(query.forward(x, selection), heads.numHeads(), batch, seq),
                positionIds); // [batch, heads, seq, d]
        NDArray k = positionEncoding.apply(split(key.forward(x, selection), heads.numKeyValueHeads(), batch, seq),
                positionIds);
        NDArray v = null;
        if (cache != null) {
            NDList all = cache.append(k, split(value.forward(x, selection), heads.numKeyValueHeads(), batch, seq));
            k = all.get(0);
            v = shareAcrossGroup(all.get(1));
        }
        NDArray keysTransposed = shareAcrossGroup(k).transpose(0, 1, 3, 2); // [batch, heads, d, keys]
        if (v == null) {
            v = shareAcrossGroup(split(value.forward(x, selection), heads.numKeyValueHeads(), batch, seq));
        }
        NDArray attended = attention.forward(q, keysTransposed, v, bias, training); // [batch, heads, seq, d]
        return output.forward(merge(attended, batch, seq), selection);
    }

    /** [batch, seq, n * d] -> [batch, n, seq, d]. */
    private NDArray split(NDArray t, int numHeads, long batch, long seq) {
        return t.reshape(batch, seq, numHeads, heads.headSize()).transpose(0, 2, 1, 3);
    }

    /** [batch, heads, seq, d] -> [batch, seq, heads * d]: the heads side by side again. */
    private NDArray merge(NDArray t, long batch, long seq) {
        return t.transpose(0, 2, 1, 3).reshape(batch, seq, heads.queryWidth());
    }

    /**
     * Grouped-query attention: [batch, kvHeads, seq, d] -> [batch, heads, seq, d], each key/value head repeated for
     * the query heads of its group (Hugging Face's {@code repeat_kv}); the tensor itself without groups.
     */
    private NDArray shareAcrossGroup(NDArray t) {
        int group = heads.queriesPerKeyValueHead();
        if (group == 1) {
            return t;
        }
        Shape shape = t.getShape();
        long batch = shape.get(0);
        long seq = shape.get(2); // keys: cached + new when generating
        return t.expandDims(2).broadcast(new Shape(batch, heads.numKeyValueHeads(), group, seq, heads.headSize()))
                .reshape(batch, heads.numHeads(), seq, heads.headSize());
    }
}
