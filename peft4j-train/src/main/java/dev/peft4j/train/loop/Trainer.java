package dev.peft4j.train.loop;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.nd.Scalars;
import dev.peft4j.train.metrics.ClassificationMetrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Fits a {@link Classifier}'s trainable tensors (adapter and head, each with its own learning
 * rate) with AdamW, linear warm-up and decay, gradient accumulation, per-epoch validation with
 * best-epoch selection, JSON-lines metrics, and checkpoints that a killed run resumes from with the
 * same result as an uninterrupted one (data order, dropout and optimiser state are all restored).
 */
public final class Trainer<E> {

    private final Classifier<E> classifier;
    private final TrainerConfig config;
    private final MetricsLog log;

    public Trainer(Classifier<E> classifier, TrainerConfig config) {
        this.classifier = classifier;
        this.config = config;
        this.log = new MetricsLog(config.outputDir());
    }

    public TrainResult fit(List<E> train, List<E> validation, List<E> test) {
        if (train.isEmpty() || validation.isEmpty()) {
            throw new IllegalArgumentException("Training needs non-empty train and validation sets, found "
                    + train.size() + " and " + validation.size() + " examples");
        }
        PeftModel peft = classifier.peftModel();
        Map<String, NDArray> params = peft.trainableParameters();
        if (params.isEmpty()) {
            throw new IllegalStateException("Nothing to train: the model has no trainable adapter or head "
                    + "(was the adapter loaded with trainable=false?)");
        }
        Map<String, Float> baseRates = new LinkedHashMap<>();
        peft.adapterParameters().keySet().forEach(k -> baseRates.put(k, config.learningRate()));
        peft.headParameters().keySet().forEach(k -> baseRates.put(k, config.headLearningRate()));

        int microPerEpoch = (train.size() + config.batchSize() - 1) / config.batchSize();
        int stepsPerEpoch = (microPerEpoch + config.gradientAccumulation() - 1) / config.gradientAccumulation();
        int totalSteps = stepsPerEpoch * config.epochs();
        LinearWarmupSchedule schedule = new LinearWarmupSchedule(Math.round(config.warmupRatio() * totalSteps),
                totalSteps);
        long start = System.nanoTime();
        long trainedExamples = 0;

        try (AdamW optimizer = new AdamW(peft.model().manager(), config.weightDecay())) {
            Checkpoint.Position position = new Checkpoint.Position(0, 0, 0, 0, 0, -1, Double.NEGATIVE_INFINITY,
                    new ArrayList<>());
            Map<String, float[]> best = snapshot(params);
            if (config.resume()) {
                Checkpoint.Loaded loaded = load();
                if (loaded != null) {
                    position = loaded.position();
                    restore(params, loaded.params());
                    optimizer.restore(loaded.optimizer(), position.globalStep(), params);
                    best = loaded.best();
                    System.err.println("peft4j: resumed from step " + position.globalStep() + " (epoch "
                            + (position.epoch() + 1) + ")");
                }
            }
            ProgressBar progress = config.progress() ? new ProgressBar(System.err, totalSteps) : null;
            int epoch = position.epoch();
            int globalStep = position.globalStep();
            double lossSum = position.epochLossSum();
            int lossCount = position.epochLossCount();
            int bestEpoch = position.bestEpoch();
            double bestScore = position.bestScore();
            List<Map<String, Object>> history = new ArrayList<>(position.history());
            int firstMicro = position.microBatch();
            for (; epoch < config.epochs(); epoch++) {
                List<Integer> order = order(train.size(), epoch);
                for (int micro = firstMicro; micro < microPerEpoch; micro++) {
                    List<E> batch = slice(train, order, micro);
                    // Dropout draws from the engine's generator: seed it per micro-batch so a resumed run
                    // sees the masks an uninterrupted one would.
                    Engine.getInstance().setRandomSeed((int) (config.seed() * 1_000_003L + epoch * 100_000L + micro));
                    lossSum += backward(batch);
                    lossCount++;
                    trainedExamples += batch.size();
                    boolean stepNow = (micro + 1) % config.gradientAccumulation() == 0 || micro + 1 == microPerEpoch;
                    if (!stepNow) {
                        continue;
                    }
                    double factor = schedule.factor(globalStep);
                    Map<String, Float> rates = new LinkedHashMap<>();
                    baseRates.forEach((k, lr) -> rates.put(k, (float) (lr * factor)));
                    optimizer.step(params, rates);
                    globalStep++;
                    double meanLoss = lossSum / lossCount;
                    if (progress != null) {
                        progress.update(globalStep, epoch, meanLoss, trainedExamples);
                    }
                    log.write("step", Map.of("step", globalStep, "epoch", epoch + 1, "loss", meanLoss,
                            "lr", config.learningRate() * factor));
                    boolean stopNow = config.stopAfterSteps() > 0 && globalStep >= config.stopAfterSteps();
                    if (config.outputDir() != null && (stopNow
                            || config.checkpointEvery() > 0 && globalStep % config.checkpointEvery() == 0)) {
                        save(new Checkpoint.Position(epoch, micro + 1, globalStep, lossSum, lossCount, bestEpoch,
                                bestScore, history), params, optimizer, best);
                    }
                    if (stopNow) {
                        if (progress != null) {
                            progress.finish();
                        }
                        return new TrainResult(bestEpoch, null, null, records(history), count(peft.adapterParameters()),
                                count(peft.headParameters()), seconds(start), trainedExamples / seconds(start), true);
                    }
                }
                if (progress != null) {
                    progress.finish();
                }
                ClassificationMetrics val = evaluate(validation);
                double epochLoss = lossSum / Math.max(1, lossCount);
                Map<String, Object> record = new LinkedHashMap<>();
                record.put("epoch", epoch + 1);
                record.put("train_loss", epochLoss);
                record.put("validation", val.toMap());
                history.add(record);
                log.write("eval", record);
                System.err.printf(java.util.Locale.ROOT, "peft4j: epoch %d train loss %.4f validation %s %.4f%n",
                        epoch + 1, lossSum / Math.max(1, lossCount), config.selectionMetric(),
                        val.get(config.selectionMetric()));
                if (val.get(config.selectionMetric()) > bestScore) {
                    bestScore = val.get(config.selectionMetric());
                    bestEpoch = epoch + 1;
                    best = snapshot(params);
                }
                lossSum = 0;
                lossCount = 0;
                firstMicro = 0;
                if (config.outputDir() != null) {
                    save(new Checkpoint.Position(epoch + 1, 0, globalStep, 0, 0, bestEpoch, bestScore, history),
                            params, optimizer, best);
                }
                if (!Double.isFinite(epochLoss)) {
                    // non-finite weights never recover, so further epochs would only cost time
                    System.err.printf(java.util.Locale.ROOT, "peft4j: warning: training diverged in epoch %d (loss %s);"
                            + " stopping and keeping the best epoch (%d). Lower the learning rate (now %s) to avoid"
                            + " it.%n", epoch + 1, epochLoss, bestEpoch, config.learningRate());
                    log.write("diverged", Map.of("epoch", epoch + 1));
                    break;
                }
            }
            restore(params, best);
            double wall = seconds(start);
            ClassificationMetrics testMetrics = evaluate(test.isEmpty() ? validation : test);
            List<TrainResult.EpochRecord> records = records(history);
            ClassificationMetrics bestVal = records.get(bestEpoch - 1).validation();
            TrainResult result = new TrainResult(bestEpoch, bestVal, testMetrics, records, count(peft.adapterParameters()),
                    count(peft.headParameters()), wall, trainedExamples / wall, false);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("best_epoch", bestEpoch);
            summary.put("test", testMetrics.toMap());
            summary.put("wall_seconds", wall);
            log.write("result", summary);
            return result;
        }
    }

    private double backward(List<E> batch) {
        try (NDManager batchManager = classifier.peftModel().model().manager().newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray logits = classifier.logits(batch, batchManager, true);
            NDArray loss = crossEntropy(logits, labels(batch, batchManager));
            collector.backward(Scalars.div(loss, config.gradientAccumulation()));
            return loss.getFloat();
        }
    }

    /** Metrics of the current parameters on {@code data}, without gradients and without dropout. */
    public ClassificationMetrics evaluate(List<E> data) {
        int[] predicted = new int[data.size()];
        int[] labels = new int[data.size()];
        double lossSum = 0;
        int batches = (data.size() + config.batchSize() - 1) / config.batchSize();
        for (int b = 0; b < batches; b++) {
            List<E> batch = data.subList(b * config.batchSize(), Math.min(data.size(), (b + 1) * config.batchSize()));
            try (NDManager batchManager = classifier.peftModel().model().manager().newSubManager()) {
                NDArray logits = classifier.logits(batch, batchManager, false);
                NDArray target = labels(batch, batchManager);
                lossSum += crossEntropy(logits, target).getFloat() * batch.size();
                long[] argMax = logits.argMax(1).toLongArray();
                for (int i = 0; i < batch.size(); i++) {
                    predicted[b * config.batchSize() + i] = (int) argMax[i];
                    labels[b * config.batchSize() + i] = classifier.label(batch.get(i));
                }
            }
        }
        return ClassificationMetrics.of(predicted, labels, classifier.numLabels(), lossSum / Math.max(1, data.size()));
    }

    private NDArray labels(List<E> batch, NDManager manager) {
        int[] labels = new int[batch.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = classifier.label(batch.get(i));
        }
        return manager.create(labels);
    }

    static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray logProbs = logits.logSoftmax(1);
        NDArray oneHot = labels.oneHot((int) logits.getShape().get(1));
        return logProbs.mul(oneHot).sum(new int[] {1}).neg().mean();
    }

    private List<Integer> order(int size, int epoch) {
        List<Integer> order = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            order.add(i);
        }
        if (epoch >= 0) {
            Collections.shuffle(order, new Random(config.seed() * 7919L + epoch));
        }
        return order;
    }

    private List<E> slice(List<E> data, List<Integer> order, int micro) {
        int from = micro * config.batchSize();
        int to = Math.min(data.size(), from + config.batchSize());
        List<E> batch = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            batch.add(data.get(order.get(i)));
        }
        return batch;
    }

    private static Map<String, float[]> snapshot(Map<String, NDArray> params) {
        Map<String, float[]> copy = new LinkedHashMap<>();
        params.forEach((k, v) -> copy.put(k, v.toFloatArray()));
        return copy;
    }

    private static void restore(Map<String, NDArray> params, Map<String, float[]> values) {
        params.forEach((k, tensor) -> {
            float[] v = values.get(k);
            if (v == null || v.length != tensor.getShape().size()) {
                throw new IllegalStateException("Checkpoint does not fit this model: tensor " + k + " expected "
                        + tensor.getShape().size() + " values, found " + (v == null ? "none" : v.length)
                        + "; resume with the same model, method and config, or start a new output directory");
            }
            boolean grad = tensor.hasGradient();
            tensor.setRequiresGradient(false);
            tensor.set(v);
            tensor.setRequiresGradient(grad);
        });
    }

    private Checkpoint.Loaded load() {
        try {
            return Checkpoint.load(config.outputDir());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the checkpoint in " + config.outputDir() + ": " + e.getMessage(), e);
        }
    }

    private void save(Checkpoint.Position position, Map<String, NDArray> params, AdamW optimizer,
            Map<String, float[]> best) {
        try {
            Checkpoint.save(config.outputDir(), position, snapshot(params), optimizer.state(), best);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write a checkpoint to " + config.outputDir() + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<TrainResult.EpochRecord> records(List<Map<String, Object>> history) {
        List<TrainResult.EpochRecord> records = new ArrayList<>();
        for (Map<String, Object> h : history) {
            Map<String, Object> v = (Map<String, Object>) h.get("validation");
            records.add(new TrainResult.EpochRecord(((Number) h.get("epoch")).intValue(),
                    ((Number) h.get("train_loss")).doubleValue(),
                    new ClassificationMetrics(((Number) v.get("count")).intValue(), num(v, "accuracy"), num(v, "f1"),
                            num(v, "mcc"), num(v, "loss"))));
        }
        return records;
    }

    private static double num(Map<String, Object> map, String key) {
        return ((Number) map.get(key)).doubleValue();
    }

    private static long count(Map<String, NDArray> tensors) {
        return tensors.values().stream().mapToLong(t -> t.getShape().size()).sum();
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
