package dev.peft4j.train.loop;

import dev.peft4j.train.metrics.Metrics;

/**
 * Callbacks from the training loop, as DJL's {@code TrainingListener}: the progress bar, {@code metrics.jsonl}, the
 * console summary and checkpoints are listeners, composed by the {@link Trainer} from its config; callers add their
 * own with {@link Trainer#addListener}. Every method defaults to doing nothing. Listeners observe; they must not
 * change parameters or gradients (that is the {@link GradientHook}'s job).
 */
public interface TrainingListener {

    /** Once, before the first step (after a resume has restored its state). */
    default void onTrainBegin(TrainBegin event) {
    }

    /** After each optimiser step. */
    default void onStep(StepEnd event) {
    }

    /** After a validation pass between epoch ends ({@link TrainerConfig#evalEvery()}). */
    default void onEvaluation(TrainResult.CurvePoint point) {
    }

    /** After each epoch's validation and best-epoch update. */
    default void onEpochEnd(EpochEnd event) {
    }

    /** Once, with the result; also for a run stopped on purpose ({@link TrainResult#stopped()}). */
    default void onTrainEnd(TrainResult result) {
    }

    /**
     * @param totalSteps optimiser steps of the whole run
     * @param resumed whether a checkpoint was restored
     * @param firstStep optimiser steps already taken (by the run a checkpoint restored; 0 for a fresh run)
     * @param firstEpoch the 1-based epoch the loop starts in
     */
    record TrainBegin(int totalSteps, int stepsPerEpoch, boolean resumed, int firstStep, int firstEpoch) {
    }

    /**
     * @param globalStep optimiser steps taken so far (1 after the first)
     * @param epoch the 1-based epoch
     * @param meanLoss the mean training loss of the epoch's micro-batches so far
     * @param learningRate the adapter learning rate this step used (after warm-up / decay)
     * @param examples training examples seen by this process since it started
     * @param stopping the run stops after this step ({@code stopAfterSteps})
     * @param state the loop's resumable state, readable by the checkpoint writer
     */
    record StepEnd(int globalStep, int epoch, double meanLoss, double learningRate, long examples, boolean stopping,
            ResumableState state) {
    }

    /**
     * @param epoch the 1-based epoch
     * @param trainLoss the epoch's mean training loss
     * @param validation the epoch's validation metrics
     * @param selectionMetric the metric picking the best epoch; {@code validation.get(selectionMetric)} is its score
     * @param bestEpoch the best epoch so far, this one included
     * @param diverged the training loss is not finite: the loop stops after this epoch
     * @param state the loop's resumable state at the epoch's end
     */
    record EpochEnd(int epoch, double trainLoss, Metrics validation, String selectionMetric, int bestEpoch,
            boolean diverged, ResumableState state) {
    }
}
