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
 */
public record TrainResult(int bestEpoch, String selectionMetric, Metrics bestValidation, Metrics test,
        List<EpochRecord> history, long adapterParameters, long headParameters, double wallSeconds,
        double trainExamplesPerSecond, boolean stopped) {

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
