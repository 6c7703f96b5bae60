package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * What a method adds to the training loop of its adapter, for a trainer that knows no method: a term of the loss, a
 * call after each optimiser step, and state that a checkpoint keeps. AdaLoRA's orthogonality regulariser and rank
 * allocator are one ({@code AdaLoraModel.forward} and {@code update_and_allocate} in peft). A method offers one
 * through {@link AdapterMethod#trainingHook}; {@link PeftModel#trainingHook()} hands out the active adapter's.
 *
 * <p>The trainer's order in one optimiser step: for each micro-batch, backward of {@code (loss + extraLoss) / k}
 * ({@code k} micro-batches per step, so the extra term's gradient accumulates as the loss's does); then the gradient
 * hook; then the optimiser's update; then {@link #afterStep}, with the step's gradients still on the tensors; then
 * the gradients are cleared. For a resumed run to equal an uninterrupted one, everything the hook carries from one
 * step to the next must be in {@link #state()}, and the hook must be deterministic in it, the tensors and the step.
 */
public interface TrainingHook {

    /** No extra loss, nothing after a step, no state. */
    TrainingHook NONE = new TrainingHook() {
    };

    /**
     * Called once per run before its first step (also when a run resumes), with the run's number of optimiser steps;
     * a schedule that cannot work with it is refused here, before anything trains.
     */
    default void start(int totalSteps) {
    }

    /**
     * A scalar added to each micro-batch's training loss, differentiable in the trainable tensors, with it and its
     * temporaries in {@code manager} (the micro-batch's); null for none. Called while gradients are recorded.
     */
    default NDArray extraLoss(NDManager manager) {
        return null;
    }

    /**
     * Called after the optimiser has updated the tensors and before their gradients are cleared.
     *
     * @param step the optimiser steps taken so far, this one included (1 after the first step)
     * @param totalSteps the run's number of optimiser steps (the value {@link #start} had)
     */
    default void afterStep(int step, int totalSteps) {
    }

    /** Everything the hook carries between steps, as flat float arrays by name (empty for none), for checkpoints. */
    default Map<String, float[]> state() {
        return Map.of();
    }

    /** Puts back what {@link #state()} returned (the trainable tensors are restored separately). */
    default void restore(Map<String, float[]> state) {
    }
}
