package dev.peft4j.core.method.melora;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.TargetedConfigBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration of MELoRA (<a href="https://arxiv.org/abs/2402.17263">paper</a>):
 * {@code W + scale·blockdiag(B_1 A_1, ..., B_n A_n)}. The input features of W {@code [m, n_in]} are cut into
 * {@code n = melCount} equal blocks and so are its output features; mini LoRA i has A_i {@code [r, n_in/n]}
 * (Kaiming-uniform, as peft's LoRA) and B_i {@code [m/n, r]} (zero), and changes only block (i, i), so the output
 * equals the base at init. The update has rank up to {@code n·r} for the {@code r (m + n_in)} trainable floats of
 * one rank-r LoRA: the paper's point, a higher rank at the same (or a smaller) budget.
 *
 * <p>Field names follow the authors' reference implementation (a fork of peft 0.5.0, {@code MELoraConfig}): {@code r},
 * {@code lora_alpha}, {@code lora_dropout}, scale {@code lora_alpha / r} per mini LoRA. There {@code r} and
 * {@code lora_alpha} are lists with one entry per mini LoRA (their number is the list's length, {@code l_num} on its
 * command line, always filled with one repeated value); here they are one number each, as in peft's LoRA and on
 * peft4j's command line ({@code --rank}, {@code --alpha}), and the number of mini LoRAs is {@code mel_count}.
 *
 * @param rank r, the rank of EACH mini LoRA; the update's rank is up to {@code melCount·r}. The reference's GLUE
 *     script uses r = 8 with 2 mini LoRAs on RoBERTa-base.
 * @param alpha the scale numerator: {@code scale = alpha / r}, as the reference computes it per mini LoRA.
 *     Default alpha = rank (scale 1); the reference's scripts use 16.
 * @param melCount n, how many mini LoRAs; it must divide both the input and the output features of every adapted
 *     layer (a layer it does not divide is refused by name). Default 2, the reference's GLUE script; 1 is LoRA.
 * @param dropout dropout on the adapter's input while training; default 0 (the reference's scripts use 0.05).
 * @param seed seed of the A blocks' initialisation (per layer: seed + layer index).
 * @param targetModules which linear layers to adapt; default {@code query, value}.
 * @param excludeModules module paths or suffixes never adapted.
 * @param modulesToSave modules trained fully and saved with the adapter (e.g. {@code classifier}).
 */
public record MeloraConfig(int rank, float alpha, int melCount, float dropout, long seed,
        TargetModules targetModules, List<String> excludeModules, List<String> modulesToSave)
        implements AdapterConfig {

    public MeloraConfig {
        if (rank < 1) {
            throw new IllegalArgumentException("MELoRA rank (of each mini LoRA) must be at least 1, found " + rank
                    + "; use e.g. 8");
        }
        if (melCount < 1) {
            throw new IllegalArgumentException("MELoRA melCount (the number of mini LoRAs) must be at least 1, found "
                    + melCount + "; use e.g. 2 or 4, a number dividing the adapted layers' dimensions");
        }
        if (!Float.isFinite(alpha) || alpha <= 0) {
            throw new IllegalArgumentException("MELoRA alpha must be a positive finite number, found " + alpha);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("MELoRA dropout must be in [0, 1), found " + dropout);
        }
        if (targetModules == null) {
            throw new IllegalArgumentException("MELoRA targetModules is null; use e.g. TargetModules.names(\"query\", \"value\")");
        }
        excludeModules = List.copyOf(excludeModules);
        modulesToSave = List.copyOf(modulesToSave);
    }

    /** alpha / r, the scale of every mini LoRA. */
    public float scale() {
        return alpha / rank;
    }

    /** The rank of the whole update, {@code melCount·r} (what a LoRA export of it needs). */
    public int equivalentRank() {
        return melCount * rank;
    }

    @Override
    public String methodId() {
        return MeloraMethod.ID;
    }

    @Override
    public Map<String, Object> methodFields() {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("r", rank);
        fields.put("lora_alpha", alpha);
        fields.put("mel_count", melCount);
        fields.put("lora_dropout", dropout);
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
        private int melCount = 2;
        private float dropout;
        private long seed = 42;

        /** The rank of each mini LoRA. */
        public Builder setRank(int rank) {
            this.rank = rank;
            return this;
        }

        public Builder optAlpha(float alpha) {
            this.alpha = alpha;
            return this;
        }

        /** The number of mini LoRAs; it must divide the in and out features of every adapted layer. */
        public Builder optMelCount(int melCount) {
            this.melCount = melCount;
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

        public MeloraConfig build() {
            if (rank == -1) {
                throw new IllegalArgumentException("MELoRA rank is required: call setRank(r), the rank of each mini "
                        + "LoRA, e.g. setRank(8)");
            }
            return new MeloraConfig(rank, alpha == null ? rank : alpha, melCount, dropout, seed, targetModules,
                    excludeModules, modulesToSave);
        }
    }
}
