package dev.peft4j.core.method.fourierft;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.TargetedConfigBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of FourierFT (<a href="https://arxiv.org/abs/2405.03003">paper</a>):
 * {@code W + scaling·Re(IDFT2(S))}, where the {@code m x n} spectrum S is zero except at
 * {@code nFrequency} fixed random positions, whose values train.
 *
 * @param nFrequency how many spectral coefficients each adapted weight trains; peft's default 1000.
 * @param scaling the scale of the delta; peft's default 150 (the paper uses 100 to 300).
 * @param randomLocSeed seed of the positions; the same for every layer, as in peft (default 777).
 *     Drawn with {@link java.util.Random}, so positions differ from torch's randperm for the same seed.
 * @param initZeros peft's {@code init_weights}: false (default, as peft) starts the spectrum at N(0, 1),
 *     so the output is NOT the base at init; true starts at zero (identity at init).
 * @param targetModules which linear layers to adapt; default {@code query, value}.
 * @param excludeModules module paths or suffixes never adapted.
 * @param modulesToSave modules trained fully and saved with the adapter (e.g. {@code classifier}).
 */
public record FourierFtConfig(int nFrequency, float scaling, long randomLocSeed, boolean initZeros,
        TargetModules targetModules, List<String> excludeModules, List<String> modulesToSave)
        implements AdapterConfig {

    public FourierFtConfig {
        if (nFrequency < 1) {
            throw new IllegalArgumentException("FourierFT nFrequency must be at least 1, found " + nFrequency
                    + "; use e.g. 1000");
        }
        if (!Float.isFinite(scaling)) {
            throw new IllegalArgumentException("FourierFT scaling must be finite, found " + scaling + "; use 150");
        }
        if (targetModules == null) {
            throw new IllegalArgumentException("FourierFT targetModules is null; use e.g. TargetModules.names(\"query\", \"value\")");
        }
        excludeModules = List.copyOf(excludeModules);
        modulesToSave = List.copyOf(modulesToSave);
    }

    @Override
    public String methodId() {
        return FourierFtMethod.ID;
    }

    @Override
    public Map<String, Object> methodFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("n_frequency", nFrequency);
        fields.put("scaling", scaling);
        fields.put("random_loc_seed", randomLocSeed);
        fields.put("init_weights", initZeros);
        fields.put("fan_in_fan_out", false);
        return fields;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** DJL-style builder: {@code setNFrequency} is required, the rest optional. */
    public static final class Builder extends TargetedConfigBuilder<Builder> {
        private int nFrequency = -1;
        private float scaling = 150f;
        private long randomLocSeed = 777;
        private boolean initZeros;

        public Builder setNFrequency(int nFrequency) {
            this.nFrequency = nFrequency;
            return this;
        }

        public Builder optScaling(float scaling) {
            this.scaling = scaling;
            return this;
        }

        public Builder optRandomLocSeed(long seed) {
            this.randomLocSeed = seed;
            return this;
        }

        public Builder optInitZeros(boolean initZeros) {
            this.initZeros = initZeros;
            return this;
        }

        @Override
        protected Builder self() {
            return this;
        }

        public FourierFtConfig build() {
            if (nFrequency == -1) {
                throw new IllegalArgumentException("FourierFT nFrequency is required: call setNFrequency(n), e.g. 1000");
            }
            return new FourierFtConfig(nFrequency, scaling, randomLocSeed, initZeros, targetModules, excludeModules,
                    modulesToSave);
        }
    }
}
