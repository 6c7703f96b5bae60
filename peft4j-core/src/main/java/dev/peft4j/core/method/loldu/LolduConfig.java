package dev.peft4j.core.method.loldu;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.TargetedConfigBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of LoLDU (<a href="https://arxiv.org/abs/2410.13618">paper</a>): train only the
 * diagonal {@code z} of a truncated LDU decomposition of each targeted weight, and optionally a scale.
 *
 * @param rank r, the number of LDU components adapted per weight; capped per layer at min(m, n)
 *     with one warning per model. The paper uses r = 768 (full) on RoBERTa/ViT-Base and shows
 *     accuracy saturates early (Table XII), so 64 is a good default for small encoders.
 * @param alpha sets the fixed scale {@code sigma0 = alpha / rank} (configured rank, also when
 *     capped, as the reference does). Default: alpha = rank, so sigma0 = 1, as in the paper's runs.
 * @param init how z starts; default {@link LolduInit#LU} (z0 = pivots, output equals the base).
 * @param trainSigma whether the scale sigma trains too. Default {@code false}: the reference
 *     recipe freezes it; the paper's "with/without scaling factor" ablation turns it on.
 * @param seed seed for the random inits (per layer: seed + layer index).
 * @param targetModules which linear layers to adapt; default {@code query, value}.
 * @param excludeModules module paths or suffixes never adapted.
 * @param modulesToSave modules trained fully and saved with the adapter (e.g. {@code classifier}).
 */
public record LolduConfig(int rank, float alpha, LolduInit init, boolean trainSigma, long seed,
        TargetModules targetModules, List<String> excludeModules, List<String> modulesToSave)
        implements AdapterConfig {

    public LolduConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("LoLDU rank must be at least 1, found " + rank
                    + "; use a rank such as 8, 64 or the layer width for full rank");
        }
        if (!Float.isFinite(alpha) || alpha <= 0) {
            throw new IllegalArgumentException("LoLDU alpha must be a positive finite number (sigma0 = alpha / rank), "
                    + "found " + alpha);
        }
        if (init == null) {
            throw new IllegalArgumentException("LoLDU init is null; use one of "
                    + java.util.Arrays.stream(LolduInit.values()).map(LolduInit::id).toList());
        }
        if (targetModules == null) {
            throw new IllegalArgumentException("LoLDU targetModules is null; use e.g. TargetModules.names(\"query\", \"value\")");
        }
        excludeModules = List.copyOf(excludeModules);
        modulesToSave = List.copyOf(modulesToSave);
    }

    /** sigma0 = alpha / configured rank. */
    public float sigma0() {
        return alpha / rank;
    }

    @Override
    public String methodId() {
        return LolduMethod.ID;
    }

    @Override
    public Map<String, Object> methodFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("r", rank);
        fields.put("lora_alpha", alpha);
        fields.put("init_method", init.id());
        fields.put("train_sigma", trainSigma);
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
        private LolduInit init = LolduInit.LU;
        private boolean trainSigma;
        private long seed = 42;

        public Builder setRank(int rank) {
            this.rank = rank;
            return this;
        }

        public Builder optAlpha(float alpha) {
            this.alpha = alpha;
            return this;
        }

        public Builder optInit(LolduInit init) {
            this.init = init;
            return this;
        }

        public Builder optTrainSigma(boolean trainSigma) {
            this.trainSigma = trainSigma;
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

        public LolduConfig build() {
            if (rank == -1) {
                throw new IllegalArgumentException("LoLDU rank is required: call setRank(r), e.g. setRank(64)");
            }
            return new LolduConfig(rank, alpha == null ? rank : alpha, init, trainSigma, seed, targetModules,
                    excludeModules, modulesToSave);
        }
    }
}
