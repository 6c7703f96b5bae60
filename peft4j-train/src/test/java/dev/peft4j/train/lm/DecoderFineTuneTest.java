package dev.peft4j.train.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterRegistry;
import dev.peft4j.core.adapter.LowRankExportable;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import dev.peft4j.models.llama.LlamaConfig;
import dev.peft4j.models.llama.LlamaModel;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.objective.CausalLmObjective;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every registered method on the decoder's slots, through the trainer with the prompt masked out: training lowers
 * the response loss, the saved adapter loads back to the same logits, and merged greedy generation gives the tokens
 * of unmerged generation.
 */
class DecoderFineTuneTest {

    private static final Function<int[], String> DECODE = ids -> java.util.Arrays.toString(ids);
    /**
     * Untied, with biases: so BitFit has biases to train and the linear probe a head of its own; init range 0.3 so
     * greedy choices are clear-cut and merged and unmerged generation do not split on a rounding tie.
     */
    private static final LlamaConfig CONFIG = LlamaConfig.tiny().withTieWordEmbeddings(false).withBiases(true, true)
            .withInitializerRange(0.3f);

    @TempDir
    Path dir;

    /** Prompts of random tokens, responses that copy the prompt's last token: learnable by every method. */
    static List<TokenSequence> data(int n, long seed) {
        Random random = new Random(seed);
        List<TokenSequence> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int prompt = 3 + random.nextInt(5);
            int[] ids = new int[prompt + 4];
            ids[0] = 1;
            for (int t = 1; t < prompt; t++) {
                ids[t] = 3 + random.nextInt(CONFIG.vocabSize() - 3);
            }
            for (int t = prompt; t < ids.length; t++) {
                ids[t] = ids[prompt - 1];
            }
            out.add(new TokenSequence(ids, prompt));
        }
        return out;
    }

    static AdapterConfig config(String method) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("r", 4);
        json.put("target_modules", List.of("q_proj", "v_proj", "down_proj"));
        if (method.equals("fourierft")) {
            json.put("n_frequency", 64);
        }
        if (method.equals("trainable_tokens")) { // peft's use on a decoder: some rows of the token embeddings
            json.put("target_modules", List.of("embed_tokens"));
            json.put("token_indices", java.util.stream.IntStream.range(0, CONFIG.vocabSize()).filter(t -> t % 2 == 0)
                    .boxed().toList()); // every other token, so the copied tokens of the data include trained rows
        }
        return AdapterRegistry.defaultRegistry().byId(method).configFromJson(json);
    }

    /** Every registered method, so a method added later is covered without a change here. */
    static List<String> methods() {
        return List.copyOf(AdapterRegistry.defaultRegistry().methods().keySet());
    }

    @ParameterizedTest
    @MethodSource("methods")
    void trainsSavesLoadsAndMergesOnTheDecoder(String method) throws Exception {
        List<TokenSequence> train = data(16, 1);
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.random(CONFIG, 3, manager)) {
            PeftModel peft = Peft.wrap(model, config(method));
            CausalLmObjective<TokenSequence> objective = new CausalLmObjective<>(
                    new LanguageModelPredictor(model, peft, 2));
            Trainer<TokenSequence> trainer = new Trainer<>(objective, TrainerConfig.builder().optEpochs(4)
                    .optBatchSize(4).optLearningRate(method.equals("full") ? 5e-3f : 2e-2f)
                    .optHeadLearningRate(2e-2f).optWarmupRatio(0f).optSelectionMetric("loss").optSeed(5).build());
            double before = trainer.evaluate(train).get("loss");
            trainer.fit(train, train, train);
            double after = trainer.evaluate(train).get("loss");
            assertTrue(after < before, method + ": response loss " + before + " -> " + after);

            long[] prompt = {1, 17, 40, 9};
            float[] logits = logits(model, prompt, manager);
            int[] unmerged = greedy(model, manager);
            Path saved = dir.resolve(method);
            peft.save(saved);
            try (NDManager other = NDManager.newBaseManager();
                    LlamaModel fresh = LlamaModel.random(CONFIG, 3, other)) {
                PeftModel.load(fresh, saved, false);
                assertArrayEquals(logits, logits(fresh, prompt, other), method + ": loaded adapter's logits");
            }
            if (exportsLora(model)) {
                Path lora = dir.resolve(method + "-lora");
                peft.exportLora(lora);
                try (NDManager other = NDManager.newBaseManager();
                        LlamaModel fresh = LlamaModel.random(CONFIG, 3, other)) {
                    PeftModel.load(fresh, lora, false);
                    float[] exported = logits(fresh, prompt, other);
                    for (int i = 0; i < logits.length; i++) {
                        // the same change to W, applied as B (A x) instead of the method's own factors: fp32
                        // rounding of two different products, logits O(1)
                        assertEquals(logits[i], exported[i], 1e-4, method + ": exported LoRA logit " + i);
                    }
                }
            }
            peft.merge();
            assertArrayEquals(unmerged, greedy(model, manager), method + ": merged greedy generation");
        }
    }

    /** Whether every attached layer offers a LoRA export (and at least one layer is attached). */
    private static boolean exportsLora(LlamaModel model) {
        List<Object> layers = new ArrayList<>();
        model.linearLayers().values().forEach(s -> s.adapterNames().forEach(n -> layers.add(s.get(n))));
        return !layers.isEmpty() && layers.stream().allMatch(l -> l instanceof LowRankExportable);
    }

    private static float[] logits(LlamaModel model, long[] prompt, NDManager manager) {
        try (NDManager step = manager.newSubManager()) {
            NDArray ids = step.create(prompt, new Shape(1, prompt.length));
            return model.forward(ids, null, false).toFloatArray();
        }
    }

    private static int[] greedy(LlamaModel model, NDManager manager) {
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(12).optStopAtEos(false).build();
        List<Generator.Result> results = new Generator(model).generate(new Generator.Request(
                List.of(new int[] {1, 17, 40, 9}, new int[] {1, 5}), config, Set.of(2), 2, DECODE, null, true),
                TokenStream.NONE, manager);
        int[] both = new int[24];
        System.arraycopy(results.get(0).tokens(), 0, both, 0, 12);
        System.arraycopy(results.get(1).tokens(), 0, both, 12, 12);
        assertEquals(12, results.get(1).tokens().length);
        return both;
    }
}
