package dev.peft4j.train.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.PeftModel;
import java.util.List;

/** A regression model: real-valued predictions [batch, outputs] and each example's target values. */
public interface Regressor<E> {

    /** Predictions [batch, outputs] (or [batch] for one output); dropout only when training. */
    NDArray predictions(List<E> batch, NDManager manager, boolean training);

    /** The target values of one example, one per output. */
    float[] target(E example);

    /** The wrapped model whose trainable parameters are fitted. */
    PeftModel peftModel();
}
