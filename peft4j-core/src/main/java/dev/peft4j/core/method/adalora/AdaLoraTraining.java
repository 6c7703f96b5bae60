package dev.peft4j.core.method.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.TrainingHook;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * AdaLoRA in the training loop, peft's {@code AdaLoraModel.forward} and {@code update_and_allocate}: the
 * orthogonality regulariser as extra loss, and after each optimiser step {@code t} (1-based) of the schedule's
 * {@code T} steps: before {@code T - tfinal} the importance update and, when the schedule says so, a masking to the
 * step's budget; at {@code T - tfinal} the final masking to the target budget, which fixes the rank pattern and
 * forgets the averages; after it the fixed pattern's masking. Each new pattern is recorded in the adapter's config
 * ({@code rank_pattern}), as peft does, so that a save writes it and keeps only the kept triplets.
 *
 * <p>With 1-based steps and the default tfinal = 0, the final allocation is the run's last step, so a run ends at
 * exactly the target budget (peft's examples number steps from 0 or 1; from 0, tfinal = 0 would never reach it).
 */
final class AdaLoraTraining implements TrainingHook {

    private static final Logger LOG = Logger.getLogger(AdaLoraTraining.class.getName());
    private static final String PATTERN = "rank_pattern.";

    private final Map<String, AdaLoraLayer> layers;
    private final Consumer<AdapterConfig> configUpdate;
    private final RankAllocator allocator;
    private AdaLoraConfig config;
    private BudgetSchedule schedule;
    private Map<String, boolean[]> rankPattern; // by module path, null before the first allocation

    AdaLoraTraining(AdaLoraConfig config, Map<String, AdaLoraLayer> layers, Consumer<AdapterConfig> configUpdate) {
        this.config = config;
        this.layers = layers;
        this.configUpdate = configUpdate;
        this.allocator = new RankAllocator(layers, config.beta1(), config.beta2());
    }

    @Override
    public void start(int totalSteps) {
        int steps = totalSteps;
        if (config.totalStep() == null) {
            BudgetSchedule.requireBudgetingPhase(config.tinit(), config.tfinal(), totalSteps,
                    "this run's optimiser steps");
            update(config.withTotalStep(totalSteps));
        } else if (config.totalStep() != totalSteps) {
            steps = config.totalStep();
            LOG.warning("AdaLoRA total_step " + steps + " differs from this run's " + totalSteps + " optimiser steps; "
                    + "the budget schedule follows total_step, as peft's does (leave total_step out to use the run's)");
        }
        schedule = new BudgetSchedule(allocator.initialBudget(), config.targetR() * layers.size(), config.tinit(),
                config.tfinal(), config.deltaT(), steps);
        rankPattern = patternOf(config);
    }

    private Map<String, boolean[]> patternOf(AdaLoraConfig source) {
        if (source.rankPattern() == null) {
            return null;
        }
        Map<String, boolean[]> pattern = new LinkedHashMap<>();
        layers.keySet().forEach(path -> {
            boolean[] kept = source.keptTriplets(path);
            if (kept != null) {
                pattern.put(path, kept);
            }
        });
        return pattern;
    }

    @Override
    public NDArray extraLoss(NDManager manager) {
        if (config.orthRegWeight() == 0) {
            return null; // peft adds 0 · regulariser: the same gradient
        }
        List<NDArray> as = layers.values().stream().map(AdaLoraLayer::a).toList();
        List<NDArray> bs = layers.values().stream().map(AdaLoraLayer::b).toList();
        return OrthogonalRegularizer.loss(as, bs, config.orthRegWeight(), manager);
    }

    @Override
    public void afterStep(int step, int totalSteps) {
        if (schedule == null) {
            throw new IllegalStateException("AdaLoRA's training hook was not started: call start(totalSteps) before "
                    + "the first step");
        }
        int finalStep = schedule.totalSteps() - schedule.tfinal();
        if (step < finalStep) {
            allocator.updateImportance();
            BudgetSchedule.Allocation allocation = schedule.at(step);
            if (allocation.masks()) {
                recordPattern(allocator.maskToBudget(allocation.budget()));
            }
        } else if (step == finalStep) {
            recordPattern(allocator.maskToBudget(schedule.at(step).budget()));
            allocator.resetImportance();
        } else if (rankPattern != null) {
            allocator.maskWith(rankPattern);
        }
    }

    private void recordPattern(Map<String, boolean[]> pattern) {
        rankPattern = pattern;
        update(config.withRankPattern(pattern));
    }

    private void update(AdaLoraConfig updated) {
        config = updated;
        configUpdate.accept(updated);
    }

    /** The allocator's averages and the rank pattern ({@code rank_pattern.<module path>}, 1 kept, 0 masked). */
    @Override
    public Map<String, float[]> state() {
        Map<String, float[]> state = allocator.state();
        if (rankPattern != null) {
            rankPattern.forEach((path, kept) -> {
                float[] flags = new float[kept.length];
                for (int i = 0; i < kept.length; i++) {
                    flags[i] = kept[i] ? 1f : 0f;
                }
                state.put(PATTERN + path, flags);
            });
        }
        return state;
    }

    /** Puts back the averages and the pattern, into the layers and the config, without touching E. */
    @Override
    public void restore(Map<String, float[]> state) {
        allocator.restore(state);
        Map<String, boolean[]> pattern = new LinkedHashMap<>();
        state.forEach((key, flags) -> {
            if (key.startsWith(PATTERN)) {
                boolean[] kept = new boolean[flags.length];
                for (int i = 0; i < flags.length; i++) {
                    kept[i] = flags[i] != 0f;
                }
                pattern.put(key.substring(PATTERN.length()), kept);
            }
        });
        rankPattern = pattern.isEmpty() ? null : pattern;
        layers.forEach((path, layer) -> layer.recordPattern(rankPattern == null ? null : rankPattern.get(path)));
        update(config.withRankPattern(rankPattern));
    }
}
