package dev.peft4j.models.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.models.nn.KeyValueCache;

/** What the {@link Generator} needs from a decoder: next-token logits over a key/value cache. */
public interface CausalLanguageModel {

    /**
     * Logits [batch, seq, vocab] for {@code inputIds} [batch, seq], after the positions held in {@code cache} (which
     * this call extends; null: no cache, the ids are the whole sequence).
     *
     * @param attentionMask [batch, cached + seq], 1 for tokens and 0 for padding; null: no padding
     * @param selection the adapter per row; null: the active adapters
     */
    NDArray logits(NDArray inputIds, NDArray attentionMask, KeyValueCache cache, AdapterSelection selection);

    /**
     * The logits of the last position only, [batch, vocab]: what generation reads each step. The vocabulary
     * projection runs on one position per row instead of all of them (a prompt of n tokens would otherwise cost n
     * vocabulary-sized products it throws away, and every re-forward without a cache as many again).
     */
    NDArray nextTokenLogits(NDArray inputIds, NDArray attentionMask, KeyValueCache cache, AdapterSelection selection);

    /** An empty cache for this model, its tensors owned by a sub-manager of {@code parent}. */
    KeyValueCache newCache(NDManager parent);

    int vocabSize();

    /** The longest sequence (prompt plus generated tokens) the model accepts. */
    int maxPositions();
}
