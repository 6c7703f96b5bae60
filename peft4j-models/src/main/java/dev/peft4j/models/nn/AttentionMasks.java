package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Additive attention biases, added to the scores before the softmax: 0 where a query may look, the most negative
 * float where it may not (Hugging Face's convention; finite, so a fully masked row gives a uniform softmax, not NaN).
 * Combine two with {@link #both}, not with an add, which would overflow to -inf.
 */
public final class AttentionMasks {

    private AttentionMasks() {
    }

    /** [batch, seq] 1/0 mask -> [batch, 1, 1, seq]: keys at padding (0) are hidden from every query. */
    public static NDArray padding(NDArray attentionMask) {
        long batch = attentionMask.getShape().get(0);
        long seq = attentionMask.getShape().get(1);
        NDArray padding = attentionMask.toType(DataType.FLOAT32, false).neg().add(1f); // 1 at padding
        return padding.mul(-Float.MAX_VALUE).reshape(batch, 1, 1, seq);
    }

    /**
     * [1, 1, queries, keys]: query i sees keys 0..i + (keys - queries), i.e. itself and the past; with a cache of
     * {@code keys - queries} earlier tokens the new queries see all of it.
     */
    public static NDArray causal(NDManager manager, long queries, long keys) {
        if (queries > keys) {
            throw new IllegalArgumentException("A causal mask needs at least as many keys as queries, found "
                    + queries + " queries and " + keys + " keys");
        }
        NDArray row = manager.arange(0, queries, 1, DataType.INT64).add(keys - queries).reshape(queries, 1);
        NDArray column = manager.arange(0, keys, 1, DataType.INT64).reshape(1, keys);
        NDArray future = column.gt(row).toType(DataType.FLOAT32, false); // 1 where the key lies ahead of the query
        return future.mul(-Float.MAX_VALUE).reshape(1, 1, queries, keys);
    }

    /** Hidden where either bias hides (a broadcasting minimum); null stands for "no mask". */
    public static NDArray both(NDArray a, NDArray b) {
        if (a == null) {
            return b;
        }
        return b == null ? a : a.minimum(b);
    }
}
