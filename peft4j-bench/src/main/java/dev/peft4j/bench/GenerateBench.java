package dev.peft4j.bench;

import ai.djl.ndarray.NDManager;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.TokenStream;
import dev.peft4j.models.llama.LlamaTextGenerator;
import dev.peft4j.models.llama.PretrainedLlama;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generation speed of the shipped decoder ({@value PretrainedLlama#ID}): greedy, {@value #NEW_TOKENS} new tokens
 * after a prompt of a few words, batch 1 and batch 8, with the key/value cache and with a full re-forward per token;
 * reported as generated tokens per second and the cache's speed-up, measured in the same run.
 */
final class GenerateBench {

    static final int NEW_TOKENS = 64;
    private static final String PROMPT = "It was the best of times, it was the worst of";

    private GenerateBench() {
    }

    static Section run(BenchOptions options, NDManager parent) {
        List<List<String>> rows = new ArrayList<>();
        Map<String, Object> json = new LinkedHashMap<>();
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(NEW_TOKENS).optStopAtEos(false).build();
        try (NDManager manager = parent.newSubManager();
                PretrainedLlama.Loaded loaded = PretrainedLlama.load(PretrainedLlama.ID, manager)) {
            LlamaTextGenerator generator = loaded.generator();
            for (int batch : new int[] {1, 8}) {
                List<String> prompts = Collections.nCopies(batch, PROMPT);
                double[] perSecond = new double[2];
                Map<String, Object> one = new LinkedHashMap<>();
                for (boolean cache : new boolean[] {true, false}) {
                    Samples samples = Samples.time(options.warmup(), options.repetitions(),
                            () -> generator.generate(prompts, config, null, cache, TokenStream.NONE, manager));
                    double tokensPerSecond = batch * NEW_TOKENS / samples.median();
                    perSecond[cache ? 0 : 1] = tokensPerSecond;
                    Map<String, Object> timing = samples.toMillisJson();
                    timing.put("tokens_per_second", tokensPerSecond);
                    one.put(cache ? "cache" : "no_cache", timing);
                }
                one.put("speedup", perSecond[0] / perSecond[1]);
                json.put("batch_" + batch, one);
                rows.add(List.of(String.valueOf(batch), Section.fixed(perSecond[0], 1), Section.fixed(perSecond[1], 1),
                        Section.times(perSecond[0] / perSecond[1])));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load the shipped decoder " + PretrainedLlama.ID, e);
        }
        return new Section("generate", "Generation (" + PretrainedLlama.ID + ", greedy, " + NEW_TOKENS
                + " new tokens)", List.of("batch", "tokens/s cache", "tokens/s no cache", "cache speed-up"), rows, json,
                List.of("tokens/s = batch x new tokens / median wall time of one generate call (prompt of "
                        + "about 12 tokens); no cache = the whole sequence re-read for every token"));
    }
}
