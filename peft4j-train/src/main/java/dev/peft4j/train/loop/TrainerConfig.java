package dev.peft4j.train.loop;

import java.nio.file.Path;

/**
 * Everything a training run needs besides the model and the data.
 *
 * @param epochs passes over the training set; the best epoch on validation is kept (as the paper reports)
 * @param learningRate AdamW rate for adapter tensors (LoLDU's z wants a large one, e.g. 3e-3 to 1e-2)
 * @param headLearningRate AdamW rate for modules to save (the classification head)
 * @param weightDecay decoupled weight decay, applied to both groups
 * @param batchSize examples per micro-batch
 * @param gradientAccumulation micro-batches per optimiser step
 * @param warmupRatio fraction of optimiser steps with linear warm-up; the rest decays linearly to 0
 * @param seed makes shuffling, dropout and initialisation repeatable
 * @param selectionMetric validation metric that picks the best epoch, any name the run's evaluators report (for
 *     classification accuracy, f1, mcc or loss; perplexity for a token objective; mse for regression); its
 *     direction (higher or lower is better) comes with the metric. The trainer rejects an unknown name before
 *     training, listing the available ones
 * @param outputDir where metrics.jsonl and checkpoints go; null for none
 * @param checkpointEvery optimiser steps between checkpoints (0: only at epoch ends, when outputDir is set)
 * @param resume continue from the latest checkpoint in outputDir (an error when there is none)
 * @param overwrite delete the files of an earlier run in outputDir first; without it (or resume) a non-empty
 *     outputDir is refused, see {@link RunFolder}
 * @param stopAfterSteps stop (as if killed) after this many optimiser steps; 0 for never. For tests of resume.
 * @param progress print a progress bar to stderr
 * @param evalEvery optimiser steps between extra validation passes (0: epoch ends only); each pass is a point of
 *     {@link TrainResult#curve()}, the validation score against steps that the convergence plots draw
 */
public record TrainerConfig(int epochs, float learningRate, float headLearningRate, float weightDecay,
        int batchSize, int gradientAccumulation, float warmupRatio, long seed, String selectionMetric,
        Path outputDir, int checkpointEvery, boolean resume, boolean overwrite, int stopAfterSteps, boolean progress,
        int evalEvery) {

    public TrainerConfig {
        require(epochs >= 1, "epochs must be at least 1, found " + epochs);
        require(learningRate > 0 && Float.isFinite(learningRate), "learning rate must be positive, found " + learningRate);
        require(headLearningRate >= 0 && Float.isFinite(headLearningRate),
                "head learning rate must be >= 0, found " + headLearningRate);
        require(weightDecay >= 0 && Float.isFinite(weightDecay), "weight decay must be >= 0, found " + weightDecay);
        require(batchSize >= 1, "batch size must be at least 1, found " + batchSize);
        require(gradientAccumulation >= 1, "gradient accumulation must be at least 1, found " + gradientAccumulation);
        require(warmupRatio >= 0 && warmupRatio < 1, "warm-up ratio must be in [0, 1), found " + warmupRatio);
        require(selectionMetric != null && !selectionMetric.isBlank(),
                "selection metric must name a metric (e.g. accuracy, f1, mcc, loss, perplexity), found '"
                        + selectionMetric + "'");
        require(checkpointEvery >= 0, "checkpoint interval must be >= 0 steps (0: epoch ends only), found "
                + checkpointEvery);
        require(evalEvery >= 0, "eval-every must be >= 0 steps (0: epoch ends only), found " + evalEvery);
        require(stopAfterSteps >= 0, "stop-after steps must be >= 0 (0: never), found " + stopAfterSteps);
        require(!resume || outputDir != null, "resume needs an output directory holding a checkpoint");
        RunFolder.Mode.of(resume, overwrite); // refuses both at once
    }

    /** How this run treats what its output directory already holds. */
    public RunFolder.Mode runFolderMode() {
        return RunFolder.Mode.of(resume, overwrite);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.epochs = epochs;
        b.learningRate = learningRate;
        b.headLearningRate = headLearningRate;
        b.weightDecay = weightDecay;
        b.batchSize = batchSize;
        b.gradientAccumulation = gradientAccumulation;
        b.warmupRatio = warmupRatio;
        b.seed = seed;
        b.selectionMetric = selectionMetric;
        b.outputDir = outputDir;
        b.checkpointEvery = checkpointEvery;
        b.resume = resume;
        b.overwrite = overwrite;
        b.stopAfterSteps = stopAfterSteps;
        b.progress = progress;
        b.evalEvery = evalEvery;
        return b;
    }

    /** Defaults: 3 epochs, lr 5e-3 (adapter) and 1e-3 (head), batch 16, warm-up 6%, seed 42. */
    public static final class Builder {
        private int epochs = 3;
        private float learningRate = 5e-3f;
        private float headLearningRate = 1e-3f;
        private float weightDecay = 0f;
        private int batchSize = 16;
        private int gradientAccumulation = 1;
        private float warmupRatio = 0.06f;
        private long seed = 42;
        private String selectionMetric = "accuracy";
        private Path outputDir;
        private int checkpointEvery;
        private boolean resume;
        private boolean overwrite;
        private int stopAfterSteps;
        private boolean progress;
        private int evalEvery;

        public Builder optEpochs(int v) { epochs = v; return this; }
        public Builder optLearningRate(float v) { learningRate = v; return this; }
        public Builder optHeadLearningRate(float v) { headLearningRate = v; return this; }
        public Builder optWeightDecay(float v) { weightDecay = v; return this; }
        public Builder optBatchSize(int v) { batchSize = v; return this; }
        public Builder optGradientAccumulation(int v) { gradientAccumulation = v; return this; }
        public Builder optWarmupRatio(float v) { warmupRatio = v; return this; }
        public Builder optSeed(long v) { seed = v; return this; }
        public Builder optSelectionMetric(String v) { selectionMetric = v; return this; }
        public Builder optOutputDir(Path v) { outputDir = v; return this; }
        public Builder optCheckpointEvery(int v) { checkpointEvery = v; return this; }
        public Builder optResume(boolean v) { resume = v; return this; }
        public Builder optOverwrite(boolean v) { overwrite = v; return this; }
        public Builder optStopAfterSteps(int v) { stopAfterSteps = v; return this; }
        public Builder optProgress(boolean v) { progress = v; return this; }
        public Builder optEvalEvery(int v) { evalEvery = v; return this; }

        public TrainerConfig build() {
            return new TrainerConfig(epochs, learningRate, headLearningRate, weightDecay, batchSize,
                    gradientAccumulation, warmupRatio, seed, selectionMetric, outputDir, checkpointEvery, resume,
                    overwrite, stopAfterSteps, progress, evalEvery);
        }
    }
}
