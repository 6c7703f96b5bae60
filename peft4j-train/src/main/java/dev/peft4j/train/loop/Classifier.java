package dev.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.PeftModel;
import java.util.List;

/**
 * A model the trainer can fit: it turns a batch of examples into logits [batch, numLabels].
 * Text and image classifiers implement it over their own example types.
 */
public interface Classifier<E> {

    /** Logits for {@code batch}; inputs are created in {@code manager}, dropout only when training. */
    NDArray logits(List<E> batch, NDManager manager, boolean training);

    /** The label of one example, in [0, numLabels). */
    int label(E example);

    int numLabels();

    /** The wrapped model whose trainable parameters are fitted. */
    PeftModel peftModel();
}
