package dev.peft4j.core.method.vera;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.TargetedConfigBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of VeRA (<a href="https://arxiv.org/abs/2310.11454">paper</a>):
 * {@code W + diag(b)·B·diag(d)·A}, with A {@code [r, n_max]} and B {@code [m_max, r]} frozen, random,
 * shared by every adapted layer (each takes the top-left slice it needs) and b {@code [m]}, d {@code [r]}
 * trainable. b starts at zero, so the output equals the base at init.
 *
 * @param rank r, the rank of the shared projections; peft's default is 256 (VeRA needs a larger r
 *     than LoRA for the same accuracy, at a fraction of LoRA's trainable floats: r + m per layer).
 * @param projectionPrng seed of the shared projections (peft's {@code projection_prng_key}, default 0).
 *     peft4j draws them with {@link java.util.Random}, so they differ from torch's draw for the same seed.
 * @param saveProjection whether the projections are saved ({@code base_model.vera_A}/{@code vera_B});
 *     default true as in peft. Without, they are regenerated from the seed on load.
 * @param dInitial the initial value of every entry of d; default 0.1 (peft's, from the paper's ablation).
 * @param targetModules which linear layers to adapt; default {@code query, value}.
 * @param excludeModules module paths or suffixes never adapted.
 * @param modulesToSave modules trained fully and saved with the adapter (e.g. {@code classifier}).
 */
public record VeraConfig(int rank, long projectionPrng, boolean saveProjection, float dInitial,
        TargetModules targetModules, List<String> excludeModules, List<String> modulesToSave)
        implements AdapterConfig {

    public VeraConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("VeRA rank must be at least 1, found " + rank + "; use e.g. 256");
        }
        if (!Float.isFinite(dInitial)) {
            throw new IllegalArgumentException("VeRA dInitial must be finite, found " + dInitial + "; use 0.1");
        }
        if (targetModules == null) {
            throw new IllegalArgumentException("VeRA targetModules is null; use e.g. TargetModules.names(\"query\", \"value\")");
        }
        excludeModules = List.copyOf(excludeModules);
        modulesToSave = List.copyOf(modulesToSave);
    }

    @Override
    public String methodId() {
        return VeraMethod.ID;
    }

    @Override
    public Map<String, Object> methodFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("r", rank);
        fields.put("projection_prng_key", projectionPrng);
        fields.put("save_projection", saveProjection);
        fields.put("d_initial", dInitial);
        fields.put("vera_dropout", 0.0);
        fields.put("bias", "none");
        fields.put("fan_in_fan_out", false);
        return fields;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** DJL-style builder: {@code setRank} is required, the rest optional. */
    public static final class Builder extends TargetedConfigBuilder<Builder> {
        private int rank = -1;
        private long projectionPrng;
        private boolean saveProjection = true;
        private float dInitial = 0.1f;

        public Builder setRank(int rank) {
            this.rank = rank;
            return this;
        }

        public Builder optProjectionPrng(long seed) {
            this.projectionPrng = seed;
            return this;
        }

        public Builder optSaveProjection(boolean saveProjection) {
            this.saveProjection = saveProjection;
            return this;
        }

        public Builder optDInitial(float dInitial) {
            this.dInitial = dInitial;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        public VeraConfig build() {
            if (rank == -1) {
                throw new IllegalArgumentException("VeRA rank is required: call setRank(r), e.g. setRank(256)");
            }
            return new VeraConfig(rank, projectionPrng, saveProjection, dInitial, targetModules, excludeModules,
                    modulesToSave);
        }
    }
}
