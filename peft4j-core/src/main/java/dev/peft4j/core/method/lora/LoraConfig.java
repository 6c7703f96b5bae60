package dev.peft4j.core.method.lora;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.TargetedConfigBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of LoRA (<a href="https://arxiv.org/abs/2106.09685">paper</a>): {@code W + scale·B A},
 * A {@code [r, n]} Kaiming-uniform, B {@code [m, r]} zero, so the output equals the base at init.
 *
 * @param rank r, the rank of the update; peft's default is 8. Not capped: r above min(m, n) is legal,
 *     only wasteful.
 * @param alpha the scale numerator: {@code scale = alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA.
 *     Default alpha = rank (scale 1).
 * @param dropout dropout on the adapter's input while training (inside a GradientCollector);
 *     default 0, as peft.
 * @param useRslora rank-stabilised scaling {@code alpha / sqrt(r)}
 *     (<a href="https://arxiv.org/abs/2312.03732">rsLoRA</a>); default false.
 * @param seed seed of A's initialisation (per layer: seed + layer index).
 * @param targetModules which linear layers to adapt; default {@code query, value}.
 * @param excludeModules module paths or suffixes never adapted.
 * @param modulesToSave modules trained fully and saved with the adapter (e.g. {@code classifier}).
 */
public record LoraConfig(int rank, float alpha, float dropout, boolean useRslora, long seed,
        TargetModules targetModules, List<String> excludeModules, List<String> modulesToSave)
        implements AdapterConfig {

    public LoraConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("LoRA rank must be at least 1, found " + rank + "; use e.g. 8");
        }
        if (!Float.isFinite(alpha) || alpha <= 0) {
            throw new IllegalArgumentException("LoRA alpha must be a positive finite number, found " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), found " + dropout);
        }
        if (targetModules == null) {
            throw new IllegalArgumentException("LoRA targetModules is null; use e.g. TargetModules.names(\"query\", \"value\")");
        }
        excludeModules = List.copyOf(excludeModules);
        modulesToSave = List.copyOf(modulesToSave);
    }

    /** alpha / r, or alpha / sqrt(r) with rsLoRA. */
    public float scale() {
        return useRslora ? (float) (alpha / Math.sqrt(rank)) : alpha / rank;
    }

    @Override
    public String methodId() {
        return LoraMethod.ID;
    }

    @Override
    public Map<String, Object> methodFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("r", rank);
        fields.put("lora_alpha", alpha);
        fields.put("lora_dropout", dropout);
        fields.put("use_rslora", useRslora);
        fields.put("bias", "none");
        fields.put("fan_in_fan_out", false);
        fields.put("init_seed", seed);
        return fields;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** DJL-style builder: {@code setRank} is required, the rest optional. */
    public static final class Builder extends TargetedConfigBuilder<Builder> {
        private int rank = -1;
        private Float alpha;
        private float dropout;
        private boolean useRslora;
        private long seed = 42;

        public Builder setRank(int rank) {
            this.rank = rank;
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

        public Builder optUseRslora(boolean useRslora) {
            this.useRslora = useRslora;
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

        public LoraConfig build() {
            if (rank == -1) {
                throw new IllegalArgumentException("LoRA rank is required: call setRank(r), e.g. setRank(8)");
            }
            return new LoraConfig(rank, alpha == null ? rank : alpha, dropout, useRslora, seed, targetModules,
                    excludeModules, modulesToSave);
        }
    }
}
