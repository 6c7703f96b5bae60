package dev.peft4j.train.loop;

import dev.peft4j.train.metrics.Metrics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a run: the best epoch on validation, its test metrics, the history, and cost. Metrics are named
 * values per split ({@link Metrics}), whatever the task's evaluators report.
 *
 * @param selectionMetric the validation metric that picked {@code bestEpoch}
 * @param bestValidation the best epoch's validation metrics (null when stopped)
 * @param test the test metrics of the best epoch's parameters (null when stopped)
 * @param stopped true when the run stopped early on purpose ({@code stopAfterSteps}); then test is null
 * @param curve every validation pass in step order: the epoch ends and, with {@link TrainerConfig#evalEvery()}, the
 *     passes between them
 */
public record TrainResult(int bestEpoch, String selectionMetric, Metrics bestValidation, Metrics test,
        List<EpochRecord> history, long adapterParameters, long headParameters, double wallSeconds,
        double trainExamplesPerSecond, boolean stopped, List<CurvePoint> curve) {

    public TrainResult {
        curve = curve == null ? List.of() : List.copyOf(curve);
    }

    /** A result without validation passes between epochs. */
    public TrainResult(int bestEpoch, String selectionMetric, Metrics bestValidation, Metrics test,
            List<EpochRecord> history, long adapterParameters, long headParameters, double wallSeconds,
            double trainExamplesPerSecond, boolean stopped) {
        this(bestEpoch, selectionMetric, bestValidation, test, history, adapterParameters, headParameters,
                wallSeconds, trainExamplesPerSecond, stopped, List.of());
    }

    /** One validation pass: after {@code step} optimiser steps, in the 1-based {@code epoch}. */
    public record CurvePoint(int step, int epoch, Metrics validation) {
    }

    /** One epoch: mean training loss and validation metrics. */
    public record EpochRecord(int epoch, double trainLoss, Metrics validation) {
    }

    /** The best epoch's validation score in the selection metric. */
    public double bestScore() {
        return bestValidation.get(selectionMetric);
    }

    /** {@code validation} and {@code test} metrics by split name (empty when stopped). */
    public Map<String, Metrics> splits() {
        Map<String, Metrics> splits = new LinkedHashMap<>();
        if (bestValidation != null) {
            splits.put("validation", bestValidation);
        }
        if (test != null) {
            splits.put("test", test);
        }
        return splits;
    }
}
