package dev.peft4j.train.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.train.metrics.EvaluatedBatch;
import dev.peft4j.train.metrics.Evaluator;
import java.util.List;

/**
 * What a task gives the trainer: the loss of a batch to minimise, the scored batch its evaluators read, and the model
 * whose trainable tensors are fitted. The trainer knows nothing about labels, tokens or targets; all of that lives
 * here. Implementations: {@link ClassificationObjective} (cross-entropy), {@link CausalLmObjective} (masked token NLL),
 * {@link RegressionObjective} (MSE).
 *
 * @param <E> the example type
 * @param <O> what the task's evaluators read from a scored batch
 */
public interface Objective<E, O> {

    /** The wrapped model whose trainable parameters are fitted. */
    PeftModel peftModel();

    /**
     * The scalar loss of {@code batch} in training mode (dropout on), averaged over its loss units, attached to the
     * autograd graph; inputs are created in {@code manager}, which the trainer closes after backward.
     */
    NDArray trainingLoss(List<E> batch, NDManager manager);

    /** {@code batch} scored in evaluation mode (no dropout, no gradients needed): loss sum, units and outputs. */
    EvaluatedBatch<O> evaluate(List<E> batch, NDManager manager);

    /** The evaluators that fit this task, in report order; the trainer uses them unless given others. */
    List<Evaluator<? super O>> evaluators();
}
