package dev.peft4j.train.loop;

import dev.peft4j.train.metrics.ClassificationMetrics;
import java.util.List;

/**
 * The outcome of a run: the best epoch on validation, its test metrics, the history, and cost.
 *
 * @param stopped true when the run stopped early on purpose ({@code stopAfterSteps}); then test is null
 */
public record TrainResult(int bestEpoch, ClassificationMetrics bestValidation, ClassificationMetrics test,
        List<EpochRecord> history, long adapterParameters, long headParameters, double wallSeconds,
        double trainExamplesPerSecond, boolean stopped) {

    /** One epoch: mean training loss and validation metrics. */
    public record EpochRecord(int epoch, double trainLoss, ClassificationMetrics validation) {
    }
}
