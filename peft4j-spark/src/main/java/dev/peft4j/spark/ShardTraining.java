package dev.peft4j.spark;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.apps.text.AdapterOutput;
import dev.peft4j.apps.text.TrainingArgs;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.core.precision.Precision;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.data.TextExample;
import dev.peft4j.train.loop.Checkpoints;
import dev.peft4j.train.loop.ShardedBatches;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.objective.ClassificationObjective;
import dev.peft4j.train.text.TextClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * One worker of the barrier stage: its shard, a base encoder from this JVM's pool, the same adapter every worker
 * builds, and the ordinary {@link Trainer} over {@link ShardedBatches#worker}, whose gradient hook averages across
 * workers. Before the first step the workers exchange their shard sizes (each epoch has as many steps as the smallest
 * shard fills), model fingerprints (all must agree) and the checkpoint each sees. Worker 0 owns the checkpoint
 * folder and the adapter it saves; the others resume from a copy of its checkpoint.
 */
final class ShardTraining implements java.io.Serializable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final SparkTrainConfig config;
    private final int numLabels;
    private final List<String> labelNames;
    private final List<TextExample> validation;
    private final List<TextExample> test;

    ShardTraining(SparkTrainConfig config, int numLabels, List<String> labelNames, List<TextExample> validation,
            List<TextExample> test) {
        this.config = config;
        this.numLabels = numLabels;
        this.labelNames = labelNames;
        this.validation = validation;
        this.test = test;
    }

    /**
     * Trains worker {@code worker}'s shard; returns worker 0's result as JSON, null on the others.
     *
     * @param allGather the barrier's allGather (every worker calls it the same number of times)
     * @param retried whether this is a retry of the stage (then the latest checkpoint is resumed)
     */
    String run(int worker, List<TextExample> shard, Function<String, String[]> allGather, boolean retried)
            throws IOException {
        EncoderPool.Loaded base = EncoderPool.borrow(config.model(), config.maxLength());
        SequenceClassifier classifier = null;
        Path scratch = null;
        Runnable undoPerturbation = () -> { };
        try {
            classifier = config.pooling().equals("CLS") ? SequenceClassifier.cls(base.encoder(), numLabels,
                    config.seed()) : SequenceClassifier.meanPooled(base.encoder(), numLabels, config.seed());
            Peft.setPrecision(classifier, Precision.FP32); // executors may differ in CPU; their steps may not
            PeftModel peft = Peft.wrap(classifier, config.method().toSpec().toConfig(List.of(SequenceClassifier.HEAD)));
            if (config.faults().perturbWorker() == worker) {
                undoPerturbation = perturbOneBaseWeight(peft);
            }
            long syncFloats = peft.trainableParameters().values().stream().mapToLong(t -> t.getShape().size()).sum();
            if (syncFloats > config.maxSyncFloats()) {
                throw new IllegalArgumentException("spark-train averages every trainable value each step through the "
                        + "driver; " + config.method().method() + " trains " + syncFloats + " values, over the limit"
                        + " of " + config.maxSyncFloats() + ". Use a method with a small trainable state (loldu, "
                        + "lora, vera, ...) or raise the limit");
            }
            Path checkpoints = Path.of(config.checkpointDir());
            int seenCheckpoint = retried ? Checkpoints.latestStep(checkpoints) : -1;
            Greeting mine = new Greeting(shard.size(), ModelFingerprint.of(peft), seenCheckpoint);
            List<Greeting> all = new ArrayList<>();
            for (String message : allGather.apply(JSON.writeValueAsString(mine))) {
                all.add(JSON.readValue(message, Greeting.class));
            }
            requireSameModel(all);
            if (all.stream().mapToInt(Greeting::checkpointStep).distinct().count() != 1) {
                throw new IllegalStateException("The workers see different checkpoints in " + checkpoints + ": "
                        + all.stream().map(Greeting::checkpointStep).toList() + "; the folder must be one every executor"
                        + " reaches (a shared file system), not a local path");
            }
            boolean resume = seenCheckpoint >= 0;
            int steps = ShardedBatches.stepsPerEpoch(all.stream().mapToLong(Greeting::shardSize).min().orElse(0),
                    config.batchPerWorker());
            Path outputDir = checkpoints;
            if (worker != 0) {
                scratch = Files.createTempDirectory("peft4j-spark-worker-" + worker + "-");
                outputDir = scratch;
                if (resume) {
                    Checkpoints.copyLatest(checkpoints, scratch);
                }
            }
            TrainerConfig trainer = TrainerConfig.builder().optEpochs(config.epochs())
                    .optLearningRate(config.learningRate()).optHeadLearningRate(config.headLearningRate())
                    .optWeightDecay(config.weightDecay()).optWarmupRatio(config.warmupRatio())
                    .optBatchSize(config.batchPerWorker()).optSeed(config.seed())
                    .optSelectionMetric(config.selectionMetric()).optOutputDir(outputDir)
                    .optCheckpointEvery(worker == 0 ? config.checkpointEvery() : 0).optResume(resume).build();
            AllGatherAverage average = new AllGatherAverage(allGather, step -> {
                if (config.faults().failWorker() == worker && config.faults().failStep() == step && !retried) {
                    throw new IllegalStateException("fault injected before step " + step + " on worker " + worker);
                }
            });
            TextClassifier texts = new TextClassifier(base.tokenizer(), classifier, peft);
            List<Long> stepTimes = new ArrayList<>();
            TrainResult result = new Trainer<>(new ClassificationObjective<>(texts), trainer)
                    .setGradientHook(average)
                    .addListener(new dev.peft4j.train.loop.TrainingListener() {
                        @Override
                        public void onStep(StepEnd event) {
                            stepTimes.add(System.nanoTime());
                        }
                    })
                    .fit(ShardedBatches.worker(shard, config.batchPerWorker(), config.seed(), worker,
                            all.size(), steps), validation, worker == 0 ? test : List.of());
            if (worker != 0) {
                return null;
            }
            Path adapterDir = Path.of(config.adapterDir());
            AdapterOutput.save(peft, adapterDir, SaveMode.COMPACT);
            new TrainingArgs(config.model(), "spark", config.maxLength(), config.pooling(), labelNames)
                    .save(adapterDir);
            ObjectNode out = JSON.createObjectNode();
            out.put("best_epoch", result.bestEpoch());
            out.set("validation", JSON.valueToTree(result.bestValidation().toMap()));
            out.set("test", JSON.valueToTree(result.test().toMap()));
            out.put("adapter_params", result.adapterParameters());
            out.put("head_params", result.headParameters());
            out.put("steps_per_epoch", steps);
            out.put("workers", all.size());
            out.put("train_seconds", result.wallSeconds());
            // between consecutive steps of one epoch (an epoch's validation pass would count otherwise), after the first
            out.put("mean_step_ms", meanStepMillis(stepTimes, steps));
            out.put("bytes_sent_per_worker_per_step", average.bytesSentPerStep());
            out.put("resumed_from_step", seenCheckpoint);
            out.put("fingerprint", mine.fingerprint());
            return JSON.writeValueAsString(out);
        } finally {
            undoPerturbation.run();
            if (classifier != null) {
                classifier.close(); // detaches the adapter: the encoder goes back to the pool as loaded
            }
            EncoderPool.giveBack(base);
            if (scratch != null) {
                deleteTree(scratch);
            }
        }
    }

    /** The mean time from one optimiser step to the next within an epoch, leaving out each epoch's first step. */
    static double meanStepMillis(List<Long> stepTimes, int stepsPerEpoch) {
        long total = 0;
        int count = 0;
        for (int i = 1; i < stepTimes.size(); i++) {
            if (i % stepsPerEpoch != 0) { // step i is not the first of an epoch
                total += stepTimes.get(i) - stepTimes.get(i - 1);
                count++;
            }
        }
        return count == 0 ? Double.NaN : total / 1e6 / count;
    }

    /** What a worker tells the others before the first step. */
    record Greeting(long shardSize, String fingerprint, int checkpointStep) {
    }

    private static void requireSameModel(List<Greeting> all) {
        String first = all.get(0).fingerprint();
        for (int w = 1; w < all.size(); w++) {
            if (!all.get(w).fingerprint().equals(first)) {
                throw new IllegalStateException("BaseModelMismatch: worker " + w + " has model fingerprint "
                        + all.get(w).fingerprint() + ", worker 0 has " + first + " (SHA-256 of the base weights and "
                        + "the adapter as initialised). Every executor must load the same model bytes: point "
                        + "PEFT4J_HOME on every executor at the same model jar, and use the same peft4j version");
            }
        }
    }

    /** The test hook: one base value changed; returns what puts it back (the encoder returns to the pool). */
    private static Runnable perturbOneBaseWeight(PeftModel peft) {
        NDArray first = peft.model().parameters().values().iterator().next();
        float[] original = first.toFloatArray();
        float[] values = original.clone();
        values[0] += 1e-3f;
        dev.peft4j.core.nd.Tensors.overwrite(first, values);
        return () -> dev.peft4j.core.nd.Tensors.overwrite(first, original);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
