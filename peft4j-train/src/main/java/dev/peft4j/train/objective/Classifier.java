package dev.peft4j.train.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.PeftModel;
import java.util.List;

/**
 * A classification model: it turns a batch of examples into logits [batch, numLabels] and knows each example's
 * label. Text and image classifiers implement it over their own example types; {@link ClassificationObjective}
 * turns it into something the trainer fits.
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
