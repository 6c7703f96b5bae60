package dev.peft4j.train.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.PeftModel;
import java.util.List;

/**
 * A model that predicts a distribution over a vocabulary at every position (a causal language model), and the
 * targets and mask of each position.
 */
public interface TokenPredictor<E> {

    /** Logits, targets and mask for {@code batch}; inputs are created in {@code manager}, dropout only when training. */
    TokenBatch predict(List<E> batch, NDManager manager, boolean training);

    /** The wrapped model whose trainable parameters are fitted. */
    PeftModel peftModel();

    /**
     * One batch of per-position predictions. For a causal LM the targets are the inputs shifted left by one (logits
     * at position t predict token t + 1); the predictor does the shift, the objective only compares.
     *
     * @param logits [batch, positions, vocabulary]
     * @param targets [batch, positions], token ids in [0, vocabulary)
     * @param mask [batch, positions], 1 where the position counts (real tokens, the answer part), 0 for padding or
     *     the prompt; any numeric or boolean type
     */
    record TokenBatch(NDArray logits, NDArray targets, NDArray mask) {
    }
}
