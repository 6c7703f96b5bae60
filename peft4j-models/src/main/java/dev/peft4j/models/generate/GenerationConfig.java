package dev.peft4j.models.generate;

import java.util.Arrays;
import java.util.List;

/**
 * How a decoder language model turns a prompt into new text: how long it may run, how the next token is chosen and
 * when it stops.
 *
 * <p>Token choice follows transformers' conventions, with temperature as the switch between its two modes (there is
 * no separate {@code do_sample} flag): a temperature of 0 means greedy decoding (the most probable token, top-k and
 * top-p are then ignored), any positive temperature means sampling from {@code softmax(logits / temperature)}
 * restricted by top-k and then top-p; see {@link TokenSampler} for the exact rules.
 *
 * @param maxNewTokens the most tokens generated per sequence, not counting the prompt (transformers'
 *     {@code max_new_tokens}); reaching it finishes with {@link FinishReason#LENGTH}
 * @param temperature 0 for greedy decoding, otherwise the divisor of the logits before sampling (below 1 sharpens the
 *     distribution, above 1 flattens it)
 * @param topK sample only among the k most probable tokens; 0 turns it off
 * @param topP sample only from the nucleus: the smallest set of most probable tokens whose probability adds up to at
 *     least topP, in (0, 1]; 1 turns it off
 * @param stopStrings texts that end a sequence when they appear in its output; they are cut from the output, as
 *     vLLM's {@code stop} does. May be empty
 * @param seed seeds the per-sequence random draws, so that a sampled generation can be repeated exactly
 * @param stopAtEos finish a sequence when the model emits an end-of-sequence token ({@link FinishReason#EOS}); off,
 *     generation runs on to maxNewTokens or a stop string
 */
public record GenerationConfig(int maxNewTokens, double temperature, int topK, double topP, List<String> stopStrings,
        long seed, boolean stopAtEos) {

    public GenerationConfig {
        require(maxNewTokens >= 1, "max new tokens: expected at least 1, found " + maxNewTokens
                + "; set optMaxNewTokens to the longest continuation wanted");
        require(Double.isFinite(temperature) && temperature >= 0, "temperature: expected a finite value >= 0 "
                + "(0 for greedy decoding), found " + temperature + "; use 0 for greedy or e.g. 0.7 for sampling");
        require(topK >= 0, "top-k: expected >= 0 (0 turns it off), found " + topK
                + "; use 0 to sample from the whole vocabulary");
        require(topP > 0 && topP <= 1, "top-p: expected a value in (0, 1] (1 turns it off), found " + topP
                + "; use e.g. 0.9, or 1 to turn nucleus sampling off");
        require(stopStrings != null, "stop strings: expected a list (possibly empty), found null; pass List.of() "
                + "for none");
        for (int i = 0; i < stopStrings.size(); i++) {
            String stop = stopStrings.get(i);
            require(stop != null && !stop.isEmpty(), "stop strings: expected non-empty strings, found "
                    + (stop == null ? "null" : "an empty string") + " at index " + i + "; remove it");
        }
        stopStrings = List.copyOf(stopStrings);
    }

    /** Whether the next token is the most probable one (temperature 0) rather than a random draw. */
    public boolean greedy() {
        return temperature == 0;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.stopStrings = stopStrings;
        b.seed = seed;
        b.stopAtEos = stopAtEos;
        return b;
    }

    /**
     * Defaults: 64 new tokens, greedy (temperature 0, as transformers without {@code do_sample}), top-k and top-p
     * off, no stop strings, seed 42, stop at end-of-sequence. Unlike transformers, top-k is off by default (not 50),
     * so that a sampling config applies exactly the filters it names.
     */
    public static final class Builder {
        private int maxNewTokens = 64;
        private double temperature = 0;
        private int topK = 0;
        private double topP = 1.0;
        private List<String> stopStrings = List.of();
        private long seed = 42;
        private boolean stopAtEos = true;

        public Builder optMaxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder optTemperature(double v) { temperature = v; return this; }
        public Builder optTopK(int v) { topK = v; return this; }
        public Builder optTopP(double v) { topP = v; return this; }
        public Builder optStopStrings(List<String> v) { stopStrings = v; return this; }
        public Builder optStopStrings(String... v) { stopStrings = Arrays.asList(v); return this; }
        public Builder optSeed(long v) { seed = v; return this; }
        public Builder optStopAtEos(boolean v) { stopAtEos = v; return this; }

        public GenerationConfig build() {
            return new GenerationConfig(maxNewTokens, temperature, topK, topP, stopStrings, seed, stopAtEos);
        }
    }
}
