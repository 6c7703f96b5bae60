package dev.peft4j.core.method.pissa;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.TargetedConfigBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of PiSSA (<a href="https://arxiv.org/abs/2404.02948">paper</a>): LoRA initialised from
 * the top-r SVD {@code W ≈ U_r S_r V_r^T}: {@code A = sqrt(S_r/scale) V_r^T}, {@code B = U_r sqrt(S_r/scale)},
 * frozen residual {@code W_res = W - scale·B A}; both A and B train, and the output equals the base at init.
 *
 * @param rank r, the number of singular triplets adapted; capped per layer at min(m, n).
 * @param alpha {@code scale = alpha / r}, as LoRA's; default alpha = rank (scale 1). peft divides the
 *     singular values by the scale, so the initial {@code scale·B A} is the top-r part of W whatever alpha is.
 * @param targetModules which linear layers to adapt; default {@code query, value}.
 * @param excludeModules module paths or suffixes never adapted.
 * @param modulesToSave modules trained fully and saved with the adapter (e.g. {@code classifier}).
 */
public record PissaConfig(int rank, float alpha, TargetModules targetModules, List<String> excludeModules,
        List<String> modulesToSave) implements AdapterConfig {

    public PissaConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("PiSSA rank must be at least 1, found " + rank + "; use e.g. 8");
        }
        if (!Float.isFinite(alpha) || alpha <= 0) {
            throw new IllegalArgumentException("PiSSA alpha must be a positive finite number, found " + alpha);
        }
        if (targetModules == null) {
            throw new IllegalArgumentException("PiSSA targetModules is null; use e.g. TargetModules.names(\"query\", \"value\")");
        }
        excludeModules = List.copyOf(excludeModules);
        modulesToSave = List.copyOf(modulesToSave);
    }

    /** alpha / configured rank. */
    public float scale() {
        return alpha / rank;
    }

    @Override
    public String methodId() {
        return PissaMethod.ID;
    }

    @Override
    public Map<String, Object> methodFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("r", rank);
        fields.put("lora_alpha", alpha);
        fields.put("init_lora_weights", "pissa");
        return fields;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** DJL-style builder: {@code setRank} is required, the rest optional. */
    public static final class Builder extends TargetedConfigBuilder<Builder> {
        private int rank = -1;
        private Float alpha;

        public Builder setRank(int rank) {
            this.rank = rank;
            return this;
        }

        public Builder optAlpha(float alpha) {
            this.alpha = alpha;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        public PissaConfig build() {
            if (rank == -1) {
                throw new IllegalArgumentException("PiSSA rank is required: call setRank(r), e.g. setRank(8)");
            }
            return new PissaConfig(rank, alpha == null ? rank : alpha, targetModules, excludeModules, modulesToSave);
        }
    }
}
