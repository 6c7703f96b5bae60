package dev.peft4j.core.method.adalora;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.TargetedConfigBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of AdaLoRA (<a href="https://arxiv.org/abs/2303.10512">paper</a>), peft's {@code AdaLoraConfig}:
 * each targeted weight gets {@code W + B diag(E) A · scaling / (ranknum + 1e-5)} of {@code init_r} singular triplets,
 * and a rank allocator masks the least important triplets of all layers until {@code target_r} per layer remain on
 * average. Three phases: {@code tinit} steps at the full budget, a cubic decrease to the target budget until step
 * {@code total_step - tfinal}, then {@code tfinal} steps with the rank pattern fixed.
 *
 * @param initR init_r, the triplets each weight starts with; default 12 (peft's, and the paper's setting beside
 *     target_r 8).
 * @param targetR target_r, the average rank left per weight at the end: the final budget is target_r times the
 *     number of adapted weights; default 8. Must be below init_r (with equal ranks there is nothing to allocate).
 * @param tinit steps of initial warm-up at the full budget; default 0.
 * @param tfinal steps of final fine-tuning with the rank pattern fixed; default 0.
 * @param deltaT steps between two budget allocations in the decreasing phase; default 1.
 * @param beta1 EMA coefficient of the sensitivity {@code |p · grad|}; default 0.85, in (0, 1).
 * @param beta2 EMA coefficient of its uncertainty; default 0.85, in (0, 1).
 * @param orthRegWeight orth_reg_weight, the weight of the orthogonality regulariser added to the training loss
 *     (mean over the A and B matrices of {@code ||A A^T - I||_F}, {@code ||B^T B - I||_F}); default 0.5, {@code >= 0}.
 * @param totalStep total_step, the steps the budget schedule spans. peft requires it; here it may be null: the
 *     trainer knows the run's total steps, and the first run records them here (so adapter_config.json carries it,
 *     as peft needs to read the file). A value given governs the schedule even when the run is longer or shorter,
 *     as in peft (the trainer warns).
 * @param rankPattern rank_pattern, written after training: per {@code <module path>.lora_E}, which of the init_r
 *     triplets the allocator kept. A saved adapter with one holds only the kept triplets, as peft saves it; null
 *     before any allocation.
 * @param alpha lora_alpha: {@code scaling = lora_alpha} if it is above 0, else init_r (divided by
 *     {@code ranknum = init_r} in the forward); default 8, peft's.
 * @param dropout lora_dropout, on the adapter's input while training; default 0.
 * @param seed seed of A's and B's normal init (per layer: seed + layer index).
 * @param targetModules which linear layers to adapt; default {@code query, value}.
 * @param excludeModules module paths or suffixes never adapted.
 * @param modulesToSave modules trained fully and saved with the adapter (e.g. {@code classifier}).
 */
public record AdaLoraConfig(int initR, int targetR, int tinit, int tfinal, int deltaT, float beta1, float beta2,
        float orthRegWeight, Integer totalStep, Map<String, List<Boolean>> rankPattern, float alpha, float dropout,
        long seed, TargetModules targetModules, List<String> excludeModules, List<String> modulesToSave)
        implements AdapterConfig {

    /** The suffix of rank_pattern's keys: {@code <module path>.lora_E}, as peft writes them. */
    public static final String PATTERN_SUFFIX = "." + AdaLoraLayer.E;

    public AdaLoraConfig {
        if (initR < 1) {
            throw new IllegalArgumentException("AdaLoRA init_r must be at least 1, found " + initR + "; use e.g. 12");
        }
        if (targetR < 0 || targetR >= initR) {
            throw new IllegalArgumentException("AdaLoRA target_r must be in [0, init_r) = [0, " + initR + "), found "
                    + targetR + "; the allocator reduces init_r triplets per weight to target_r on average (e.g. "
                    + "init_r 12, target_r 8)");
        }
        if (tinit < 0 || tfinal < 0 || deltaT < 1) {
            throw new IllegalArgumentException("AdaLoRA needs tinit >= 0, tfinal >= 0 and deltaT >= 1, found tinit "
                    + tinit + ", tfinal " + tfinal + ", deltaT " + deltaT);
        }
        if (!(beta1 > 0 && beta1 < 1) || !(beta2 > 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdaLoRA beta1 and beta2 must be in (0, 1), found " + beta1 + " and "
                    + beta2 + "; peft's default is 0.85");
        }
        if (!(Float.isFinite(orthRegWeight) && orthRegWeight >= 0)) {
            throw new IllegalArgumentException("AdaLoRA orth_reg_weight must be a finite number >= 0, found "
                    + orthRegWeight + "; 0 turns the regulariser off");
        }
        if (totalStep != null) {
            BudgetSchedule.requireBudgetingPhase(tinit, tfinal, totalStep, "total_step");
        }
        if (!Float.isFinite(alpha)) {
            throw new IllegalArgumentException("AdaLoRA lora_alpha must be finite, found " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("AdaLoRA lora_dropout must be in [0, 1), found " + dropout);
        }
        if (targetModules == null) {
            throw new IllegalArgumentException("AdaLoRA targetModules is null; use e.g. TargetModules.names(\"query\", "
                    + "\"value\")");
        }
        rankPattern = rankPattern == null ? null : copyPattern(rankPattern, initR);
        excludeModules = List.copyOf(excludeModules);
        modulesToSave = List.copyOf(modulesToSave);
    }

    private static Map<String, List<Boolean>> copyPattern(Map<String, List<Boolean>> pattern, int initR) {
        Map<String, List<Boolean>> copy = new LinkedHashMap<>();
        pattern.forEach((key, kept) -> {
            if (!key.endsWith(PATTERN_SUFFIX) || kept == null || kept.size() != initR) {
                throw new IllegalArgumentException("AdaLoRA rank_pattern entry '" + key + "' must be named "
                        + "<module path>" + PATTERN_SUFFIX + " and list init_r = " + initR + " flags, found "
                        + (kept == null ? "null" : kept.size() + " flags") + "; a rank_pattern is written by training, "
                        + "leave it out of a new config");
            }
            copy.put(key, List.copyOf(kept));
        });
        return java.util.Collections.unmodifiableMap(copy);
    }

    /** The multiplier of {@code B diag(E) A}: scaling / (ranknum + 1e-5) with ranknum = init_r, as peft's layer. */
    public float scale() {
        float scaling = alpha > 0 ? alpha : initR;
        return scaling / (initR + 1e-5f);
    }

    /** The kept triplets of {@code modulePath} per the rank pattern, or null when it has none for that module. */
    boolean[] keptTriplets(String modulePath) {
        List<Boolean> kept = rankPattern == null ? null : rankPattern.get(modulePath + PATTERN_SUFFIX);
        if (kept == null) {
            return null;
        }
        boolean[] flags = new boolean[kept.size()];
        for (int i = 0; i < flags.length; i++) {
            flags[i] = kept.get(i);
        }
        return flags;
    }

    /** This config with {@code totalStep} recorded. */
    AdaLoraConfig withTotalStep(int steps) {
        return new AdaLoraConfig(initR, targetR, tinit, tfinal, deltaT, beta1, beta2, orthRegWeight, steps,
                rankPattern, alpha, dropout, seed, targetModules, excludeModules, modulesToSave);
    }

    /** This config with a rank pattern (null: none), keyed by module path. */
    AdaLoraConfig withRankPattern(Map<String, boolean[]> keptByModule) {
        Map<String, List<Boolean>> pattern = null;
        if (keptByModule != null) {
            pattern = new LinkedHashMap<>();
            for (Map.Entry<String, boolean[]> entry : keptByModule.entrySet()) {
                List<Boolean> flags = new ArrayList<>(entry.getValue().length);
                for (boolean kept : entry.getValue()) {
                    flags.add(kept);
                }
                pattern.put(entry.getKey() + PATTERN_SUFFIX, flags);
            }
        }
        return new AdaLoraConfig(initR, targetR, tinit, tfinal, deltaT, beta1, beta2, orthRegWeight, totalStep,
                pattern, alpha, dropout, seed, targetModules, excludeModules, modulesToSave);
    }

    @Override
    public String methodId() {
        return AdaLoraMethod.ID;
    }

    @Override
    public Map<String, Object> methodFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("init_r", initR);
        fields.put("target_r", targetR);
        fields.put("tinit", tinit);
        fields.put("tfinal", tfinal);
        fields.put("deltaT", deltaT);
        fields.put("beta1", beta1);
        fields.put("beta2", beta2);
        fields.put("orth_reg_weight", orthRegWeight);
        fields.put("total_step", totalStep);
        fields.put("rank_pattern", rankPattern);
        fields.put("lora_alpha", alpha);
        fields.put("lora_dropout", dropout);
        fields.put("bias", "none");
        fields.put("fan_in_fan_out", false);
        fields.put("init_lora_weights", true);
        fields.put("init_seed", seed);
        return fields;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** DJL-style builder: every field has peft's default, so all are optional. */
    public static final class Builder extends TargetedConfigBuilder<Builder> {
        private int initR = 12;
        private int targetR = 8;
        private int tinit;
        private int tfinal;
        private int deltaT = 1;
        private float beta1 = 0.85f;
        private float beta2 = 0.85f;
        private float orthRegWeight = 0.5f;
        private Integer totalStep;
        private float alpha = 8;
        private float dropout;
        private long seed = 42;

        public Builder optInitR(int initR) {
            this.initR = initR;
            return this;
        }

        public Builder optTargetR(int targetR) {
            this.targetR = targetR;
            return this;
        }

        /** tinit, tfinal and deltaT of the budget schedule. */
        public Builder optSchedule(int tinit, int tfinal, int deltaT) {
            this.tinit = tinit;
            this.tfinal = tfinal;
            this.deltaT = deltaT;
            return this;
        }

        public Builder optBetas(float beta1, float beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        public Builder optOrthRegWeight(float orthRegWeight) {
            this.orthRegWeight = orthRegWeight;
            return this;
        }

        /** The schedule's total steps; without it, the trainer's. */
        public Builder optTotalStep(int totalStep) {
            this.totalStep = totalStep;
            return this;
        }

        public Builder optAlpha(float alpha) {
            this.alpha = alpha;
            return this;
        }

        public Builder optDropout(float dropout) {
            this.dropout = dropout;
            return this;
        }

        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        public AdaLoraConfig build() {
            return new AdaLoraConfig(initR, targetR, tinit, tfinal, deltaT, beta1, beta2, orthRegWeight, totalStep,
                    null, alpha, dropout, seed, targetModules, excludeModules, modulesToSave);
        }
    }
}
