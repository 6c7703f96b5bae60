package dev.peft4j.train.loop;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TrainingHook;
import dev.peft4j.core.nd.Scalars;
import dev.peft4j.core.nd.Tensors;
import dev.peft4j.train.metrics.Direction;
import dev.peft4j.train.metrics.Evaluator;
import dev.peft4j.train.metrics.Metric;
import dev.peft4j.train.metrics.Metrics;
import dev.peft4j.train.objective.Objective;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trainer over an {@link Objective}: fits the objective's trainable tensors (adapter and head, each with its own
 * learning rate) with AdamW, linear warm-up and decay and gradient accumulation, evaluates every epoch on validation
 * with pluggable {@link Evaluator}s, keeps the best epoch by any named metric in its direction, and resumes from a
 * checkpoint with the same result as an uninterrupted run (data order, dropout and optimiser state are restored).
 *
 * <p>The loop knows nothing about labels: the objective supplies each batch's loss and what its evaluators read.
 * Progress bar, {@code metrics.jsonl} and checkpoints are {@link TrainingListener}s composed from the config;
 * a {@link GradientHook} runs between backward and the optimiser step (the seam for data-parallel training).
 *
 * <p>Nor does it know methods: the adapter's {@link TrainingHook} ({@link PeftModel#trainingHook()}, AdaLoRA's rank
 * allocator) gets the run's total steps before the first step, adds its term to each micro-batch's loss before the
 * division by the accumulation count (the logged loss stays the objective's), is called after each optimiser step
 * before the gradients are cleared, and has its state checkpointed, and kept and restored with the best epoch's
 * tensors.
 */
public final class Trainer<E> {

    private final Objective<E, ?> objective;
    private final Evaluation<E, ?> evaluation;
    private final Metric selection;
    private final TrainerConfig config;
    private final List<TrainingListener> extraListeners = new ArrayList<>();
    private GradientHook gradientHook = GradientHook.NONE;
    /** Held around seeding, forward and backward of a micro-batch: see {@link #backward}. */
    private static final Object BACKWARD = new Object();

    /** A trainer evaluating with the objective's own evaluators. */
    public <O> Trainer(Objective<E, O> objective, TrainerConfig config) {
        this(objective, objective.evaluators(), config);
    }

    /**
     * A trainer evaluating with {@code evaluators}; {@code config.selectionMetric()} must be one of their metrics
     * (checked here, before any training).
     */
    public <O> Trainer(Objective<E, O> objective, List<? extends Evaluator<? super O>> evaluators,
            TrainerConfig config) {
        this.objective = objective;
        this.evaluation = new Evaluation<>(objective, evaluators);
        this.selection = evaluation.metric(config.selectionMetric());
        this.config = config;
    }

    /** Adds a listener after the ones the config composes (progress, console, metrics.jsonl, checkpoints). */
    public Trainer<E> addListener(TrainingListener listener) {
        extraListeners.add(listener);
        return this;
    }

    /** Sets the hook run on the gradients before each optimiser step ({@link GradientHook#NONE} by default). */
    public Trainer<E> setGradientHook(GradientHook hook) {
        this.gradientHook = hook == null ? GradientHook.NONE : hook;
        return this;
    }

    /** The metrics each evaluation reports, with their directions. */
    public List<Metric> metrics() {
        return evaluation.metrics();
    }

    public TrainResult fit(List<E> train, List<E> validation, List<E> test) {
        if (train.isEmpty() || validation.isEmpty()) {
            throw new IllegalArgumentException("Training needs non-empty train and validation sets, found "
                    + train.size() + " and " + validation.size() + " examples");
        }
        return fit(BatchPlan.shuffled(train, config.batchSize(), config.seed()), validation, test);
    }

    /**
     * Trains on the micro-batches {@code plan} gives (a data-parallel worker's shard, for example), in its order;
     * otherwise as {@link #fit(List, List, List)}.
     */
    public TrainResult fit(BatchPlan<E> plan, List<E> validation, List<E> test) {
        if (plan.microBatchesPerEpoch() < 1 || validation.isEmpty()) {
            throw new IllegalArgumentException("Training needs at least one micro-batch per epoch and a non-empty "
                    + "validation set, found " + plan.microBatchesPerEpoch() + " and " + validation.size()
                    + " examples");
        }
        PeftModel peft = objective.peftModel();
        Map<String, NDArray> params = peft.trainableParameters();
        if (params.isEmpty()) {
            throw new IllegalStateException("Nothing to train: the model has no trainable adapter or head "
                    + "(was the adapter loaded with trainable=false?)");
        }
        Map<String, Float> baseRates = new LinkedHashMap<>();
        peft.adapterParameters().keySet().forEach(k -> baseRates.put(k, config.learningRate()));
        peft.headParameters().keySet().forEach(k -> baseRates.put(k, config.headLearningRate()));

        int microPerEpoch = plan.microBatchesPerEpoch();
        int stepsPerEpoch = (microPerEpoch + config.gradientAccumulation() - 1) / config.gradientAccumulation();
        int totalSteps = stepsPerEpoch * config.epochs();
        TrainingHook hook = peft.trainingHook();
        hook.start(totalSteps);
        LinearWarmupSchedule schedule = new LinearWarmupSchedule(Math.round(config.warmupRatio() * totalSteps),
                totalSteps);
        long start = System.nanoTime();
        long trainedExamples = 0;
        List<TrainingListener> listeners = listeners();

        // claimed (or joined, when the caller claimed it before loading the model) until the run's files are written
        try (RunFolder runFolder = config.outputDir() == null ? null
                        : RunFolder.claim(config.outputDir(), config.runFolderMode());
                AdamW optimizer = new AdamW(peft.model().manager(), config.weightDecay())) {
            Checkpoint.Position position = new Checkpoint.Position(0, 0, 0, 0, 0, -1, selection.direction().worst(),
                    new ArrayList<>(), selection.name());
            ResumableState.Live live = new ResumableState.Live(params, optimizer, hook);
            ResumableState.Best best = new ResumableState.Best(ResumableState.snapshot(params), hook.state());
            boolean resumed = false;
            if (config.resume()) {
                Checkpoint.Loaded loaded = load();
                if (loaded == null) {
                    throw new IllegalArgumentException("resume: found no checkpoint in " + config.outputDir()
                            + " (looked for " + config.outputDir().resolve(Checkpoint.POINTER) + "); start without "
                            + "resume, or pass the folder of the interrupted run");
                }
                position = loaded.position();
                requireSameSelection(position);
                restore(params, loaded.params());
                optimizer.restore(loaded.optimizer(), position.globalStep(), params);
                best = new ResumableState.Best(loaded.best(), restoreHook(hook, loaded.hook()));
                resumed = true;
            }
            TrainingListener.TrainBegin begin = new TrainingListener.TrainBegin(totalSteps, stepsPerEpoch, resumed,
                    position.globalStep(), position.epoch() + 1);
            listeners.forEach(l -> l.onTrainBegin(begin));
            int epoch = position.epoch();
            int globalStep = position.globalStep();
            double lossSum = position.epochLossSum();
            int lossCount = position.epochLossCount();
            int bestEpoch = position.bestEpoch();
            double bestScore = position.bestScore();
            List<Map<String, Object>> history = new ArrayList<>(position.history());
            int firstMicro = position.microBatch();
            for (; epoch < config.epochs(); epoch++) {
                for (int micro = firstMicro; micro < microPerEpoch; micro++) {
                    List<E> batch = plan.microBatch(epoch, micro);
                    // Dropout draws from the engine's generator: seed it per micro-batch so a resumed run (or a
                    // data-parallel worker, which numbers its micro-batches as the single process would) sees the
                    // masks an uninterrupted single process would.
                    lossSum += backward(batch, (int) (config.seed() * 1_000_003L + epoch * 100_000L
                            + plan.dropoutIndex(epoch, micro)), hook);
                    lossCount++;
                    trainedExamples += batch.size();
                    boolean stepNow = (micro + 1) % config.gradientAccumulation() == 0 || micro + 1 == microPerEpoch;
                    if (!stepNow) {
                        continue;
                    }
                    gradientHook.beforeStep(params, globalStep);
                    double factor = schedule.factor(globalStep);
                    Map<String, Float> rates = new LinkedHashMap<>();
                    baseRates.forEach((k, lr) -> rates.put(k, (float) (lr * factor)));
                    if (hook == TrainingHook.NONE) {
                        optimizer.step(params, rates);
                    } else {
                        optimizer.updateKeepingGradients(params, rates);
                        hook.afterStep(globalStep + 1, totalSteps); // the step's gradients are still there
                        AdamW.clearGradients(params);
                    }
                    globalStep++;
                    boolean epochEndsNow = micro + 1 == microPerEpoch; // the epoch's own pass follows
                    if (config.evalEvery() > 0 && globalStep % config.evalEvery() == 0 && !epochEndsNow) {
                        TrainResult.CurvePoint point = new TrainResult.CurvePoint(globalStep, epoch + 1,
                                evaluate(validation));
                        history.add(curveRecord(point.step(), point.epoch(), point.validation()));
                        listeners.forEach(l -> l.onEvaluation(point));
                    }
                    boolean stopNow = config.stopAfterSteps() > 0 && globalStep >= config.stopAfterSteps();
                    ResumableState state = new ResumableState(new Checkpoint.Position(epoch, micro + 1, globalStep,
                            lossSum, lossCount, bestEpoch, bestScore, history, selection.name()), live, best);
                    TrainingListener.StepEnd stepEnd = new TrainingListener.StepEnd(globalStep, epoch + 1,
                            lossSum / lossCount, config.learningRate() * factor, trainedExamples, stopNow, state);
                    listeners.forEach(l -> l.onStep(stepEnd));
                    if (stopNow) {
                        TrainResult stopped = new TrainResult(bestEpoch, selection.name(), null, null,
                                records(history), peft.adapterParameterCount(), count(peft.headParameters()),
                                seconds(start), trainedExamples / seconds(start), true, curve(history));
                        listeners.forEach(l -> l.onTrainEnd(stopped));
                        return stopped;
                    }
                }
                Metrics val = evaluate(validation);
                double epochLoss = lossSum / Math.max(1, lossCount);
                history.add(historyRecord(epoch + 1, epochLoss, val, globalStep));
                double score = val.get(selection.name());
                if (selection.direction().isBetter(score, bestScore)) {
                    bestScore = score;
                    bestEpoch = epoch + 1;
                    best = new ResumableState.Best(ResumableState.snapshot(params), hook.state());
                }
                lossSum = 0;
                lossCount = 0;
                firstMicro = 0;
                // non-finite weights never recover, so further epochs would only cost time
                boolean diverged = !Double.isFinite(epochLoss);
                ResumableState state = new ResumableState(new Checkpoint.Position(epoch + 1, 0, globalStep, 0, 0,
                        bestEpoch, bestScore, history, selection.name()), live, best);
                TrainingListener.EpochEnd epochEnd = new TrainingListener.EpochEnd(epoch + 1, epochLoss, val,
                        selection.name(), bestEpoch, diverged, state);
                listeners.forEach(l -> l.onEpochEnd(epochEnd));
                if (diverged) {
                    break;
                }
            }
            if (bestEpoch < 1) {
                throw new IllegalStateException("No epoch has a usable validation " + selection.name() + " (every one"
                        + " was NaN), so there is no best epoch to keep; lower the learning rate (now "
                        + config.learningRate() + ") or select by another metric");
            }
            restore(params, best.params());
            hook.restore(best.hook());
            double wall = seconds(start);
            Metrics testMetrics = evaluate(test.isEmpty() ? validation : test);
            List<TrainResult.EpochRecord> records = records(history);
            Metrics bestVal = records.get(bestEpoch - 1).validation();
            TrainResult result = new TrainResult(bestEpoch, selection.name(), bestVal, testMetrics, records,
                    peft.adapterParameterCount(), count(peft.headParameters()), wall, trainedExamples / wall,
                    false, curve(history));
            listeners.forEach(l -> l.onTrainEnd(result));
            return result;
        }
    }

    /** The listeners this run's config asks for, then the caller's. */
    private List<TrainingListener> listeners() {
        List<TrainingListener> listeners = new ArrayList<>();
        if (config.progress()) {
            listeners.add(new ProgressBar(System.err));
        }
        listeners.add(new ConsoleReport(System.err, config.learningRate()));
        if (config.outputDir() != null) {
            listeners.add(new MetricsLog(config.outputDir()));
            listeners.add(new CheckpointWriter(config.outputDir(), config.checkpointEvery()));
        }
        listeners.addAll(extraListeners);
        return listeners;
    }

    private double backward(List<E> batch, int dropoutSeed, TrainingHook hook) {
        // DJL allows one gradient collector per JVM at a time (PtGradientCollector keeps a static flag and refuses a
        // second), and the engine's generator is one per JVM too, so trainers sharing a JVM, as Spark's tasks in one
        // executor do, take turns here: seeding and drawing the masks included
        synchronized (BACKWARD) {
            Engine.getInstance().setRandomSeed(dropoutSeed);
            try (NDManager batchManager = objective.peftModel().model().manager().newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = objective.trainingLoss(batch, batchManager);
                NDArray extra = hook.extraLoss(batchManager);
                NDArray total = extra == null ? loss : loss.add(extra);
                collector.backward(Scalars.div(total, config.gradientAccumulation()));
                return loss.getFloat();
            }
        }
    }

    /** Metrics of the current parameters on {@code data}, without gradients and without dropout. */
    public Metrics evaluate(List<E> data) {
        return evaluation.run(data, config.batchSize());
    }

    /** One epoch as {@code metrics.jsonl} and checkpoints record it (with the steps taken by its end). */
    static Map<String, Object> historyRecord(int epoch, double trainLoss, Metrics validation, int step) {
        Map<String, Object> record = historyRecord(epoch, trainLoss, validation);
        record.put("step", step);
        return record;
    }

    static Map<String, Object> historyRecord(int epoch, double trainLoss, Metrics validation) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("epoch", epoch);
        record.put("train_loss", trainLoss);
        record.put("validation", validation.toMap());
        return record;
    }

    /**
     * A validation pass between epoch ends, kept in the checkpointed history beside the epoch records (told apart by
     * having no {@code train_loss}) so that a resumed run's curve has the passes made before the kill.
     */
    static Map<String, Object> curveRecord(int step, int epoch, Metrics validation) {
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("step", step);
        record.put("epoch", epoch);
        record.put("validation", validation.toMap());
        return record;
    }

    private void requireSameSelection(Checkpoint.Position position) {
        String saved = position.selectionMetric() == null ? "a higher-is-better metric" : position.selectionMetric();
        boolean compatible = position.selectionMetric() == null
                ? selection.direction() == Direction.HIGHER_IS_BETTER
                : position.selectionMetric().equals(selection.name());
        if (!compatible) {
            throw new IllegalArgumentException("The checkpoint in " + config.outputDir() + " picked its best epoch by "
                    + saved + ", this run asks for '" + selection.name() + "'; resume with the same metric, or "
                    + "start a new output directory");
        }
    }

    /**
     * Puts the checkpoint's hook state back and returns the hook's best-epoch state; a checkpoint from a run with a
     * hook and a run without (or the other way round) do not fit each other.
     */
    private Map<String, float[]> restoreHook(TrainingHook hook, Checkpoint.HookState saved) {
        boolean hooked = hook != TrainingHook.NONE;
        if (hooked != (saved != null)) {
            throw new IllegalStateException("The checkpoint in " + config.outputDir() + (saved == null
                    ? " holds no training-hook state, but this run's method has a training hook"
                    : " holds training-hook state, but this run's method has no training hook")
                    + "; resume with the method the run started with, or start a new output directory");
        }
        if (!hooked) {
            return Map.of();
        }
        hook.restore(saved.now());
        return saved.best();
    }

    private static void restore(Map<String, NDArray> params, Map<String, float[]> values) {
        params.forEach((k, tensor) -> {
            float[] v = values.get(k);
            if (v == null || v.length != tensor.getShape().size()) {
                throw new IllegalStateException("Checkpoint does not fit this model: tensor " + k + " expected "
                        + tensor.getShape().size() + " values, found " + (v == null ? "none" : v.length)
                        + "; resume with the same model, method and config, or start a new output directory");
            }
            Tensors.overwrite(tensor, v);
        });
    }

    private Checkpoint.Loaded load() {
        try {
            return Checkpoint.load(config.outputDir());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the checkpoint in " + config.outputDir() + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<TrainResult.EpochRecord> records(List<Map<String, Object>> history) {
        List<TrainResult.EpochRecord> records = new ArrayList<>();
        for (Map<String, Object> h : history) {
            if (!h.containsKey("train_loss")) {
                continue; // a pass between epoch ends (curveRecord)
            }
            Object trainLoss = h.get("train_loss");
            records.add(new TrainResult.EpochRecord(((Number) h.get("epoch")).intValue(),
                    trainLoss instanceof Number n ? n.doubleValue() : Double.parseDouble(trainLoss.toString()),
                    Metrics.fromMap((Map<String, Object>) h.get("validation"))));
        }
        return records;
    }

    /** Every validation pass in the history that knows its step (checkpoints from before steps were kept lack it). */
    @SuppressWarnings("unchecked")
    private static List<TrainResult.CurvePoint> curve(List<Map<String, Object>> history) {
        List<TrainResult.CurvePoint> curve = new ArrayList<>();
        for (Map<String, Object> h : history) {
            if (h.get("step") instanceof Number step) {
                curve.add(new TrainResult.CurvePoint(step.intValue(), ((Number) h.get("epoch")).intValue(),
                        Metrics.fromMap((Map<String, Object>) h.get("validation"))));
            }
        }
        return curve;
    }

    private static long count(Map<String, NDArray> tensors) {
        return tensors.values().stream().mapToLong(t -> t.getShape().size()).sum();
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
