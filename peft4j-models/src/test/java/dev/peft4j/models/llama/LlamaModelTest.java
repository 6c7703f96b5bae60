package dev.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.models.nn.KeyValueCache;
import java.util.List;
import org.junit.jupiter.api.Test;

class LlamaModelTest {

    /**
     * The forward in fp32 against float64 loops. Logits here are O(1) (init range 0.3 so attention is far from
     * uniform); fp32 rounding (2^-24 relative per op) accumulated over dot products of <= 48 terms, two layers and
     * the norms stays below 1e-5 absolute, while any modelling error (a wrong rotation pair, GQA group, mask or
     * position) moves logits by 1e-2 or more.
     */
    private static final double FP32_TOLERANCE = 1e-5;

    /** The tiny config (GQA 4/2, tied) with weights large enough that every part of the forward matters. */
    static LlamaConfig testConfig(boolean tied, boolean biases) {
        return LlamaConfig.tiny().withTieWordEmbeddings(tied).withBiases(biases, biases).withInitializerRange(0.3f);
    }

    @Test
    void forwardMatchesFloat64ReferenceWithGqaRopeTiedEmbeddingsAndLeftPadding() {
        check(testConfig(true, false));
    }

    @Test
    void forwardMatchesFloat64ReferenceUntiedWithBiases() {
        check(testConfig(false, true));
    }

    private static void check(LlamaConfig config) {
        int[][] ids = {{5, 17, 3, 42, 8, 61, 0, 9}, {0, 0, 0, 12, 33, 7, 19, 2}};
        int[][] real = {{1, 1, 1, 1, 1, 1, 1, 1}, {0, 0, 0, 1, 1, 1, 1, 1}};
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.random(config, 7, manager)) {
            NDArray logits = model.forward(manager.create(flatten(ids), new Shape(2, 8)),
                    manager.create(flatten(real), new Shape(2, 8)), false);
            assertEquals(new Shape(2, 8, config.vocabSize()), logits.getShape());
            float[] got = logits.toFloatArray();
            LlamaReference reference = new LlamaReference(config, model.parameters());
            double worst = 0;
            double largest = 0;
            for (int r = 0; r < 2; r++) {
                double[][] expected = reference.logits(ids[r], real[r]);
                for (int t = 0; t < 8; t++) {
                    if (real[r][t] == 0) {
                        continue; // padding positions: nothing reads them
                    }
                    for (int v = 0; v < config.vocabSize(); v++) {
                        double e = expected[t][v];
                        worst = Math.max(worst, Math.abs(e - got[(r * 8 + t) * config.vocabSize() + v]));
                        largest = Math.max(largest, Math.abs(e));
                    }
                }
            }
            assertTrue(largest > 0.5, "logits too small to test anything: " + largest);
            assertTrue(worst < FP32_TOLERANCE, "max |fp32 - float64| = " + worst);
        }
    }

    @Test
    void aLeftPaddedRowGivesTheLogitsOfTheSameRowAlone() {
        LlamaConfig config = testConfig(true, false);
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.random(config, 3, manager)) {
            float[] alone = model.forward(manager.create(new long[] {12, 33, 7}, new Shape(1, 3)), null, false)
                    .toFloatArray();
            float[] padded = model.forward(manager.create(new long[] {0, 0, 12, 33, 7}, new Shape(1, 5)),
                    manager.create(new long[] {0, 0, 1, 1, 1}, new Shape(1, 5)), false).toFloatArray();
            int vocab = config.vocabSize();
            for (int i = 0; i < 3 * vocab; i++) {
                // the same positions and keys; only the padded keys' zero weights and the matmul shapes differ
                assertEquals(alone[i], padded[2 * vocab + i], 1e-5, "logit " + i);
            }
        }
    }

    @Test
    void cachedStepsGiveTheLogitsOfTheWholeSequence() {
        LlamaConfig config = testConfig(true, false);
        long[] ids = {4, 9, 21, 50, 3, 11, 27};
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.random(config, 5, manager)) {
            float[] whole = model.forward(manager.create(ids, new Shape(1, ids.length)), null, false).toFloatArray();
            int vocab = config.vocabSize();
            try (KeyValueCache cache = model.newCache(manager)) {
                int done = 0;
                for (int chunk : new int[] {3, 1, 2, 1}) {
                    long[] piece = java.util.Arrays.copyOfRange(ids, done, done + chunk);
                    try (NDManager step = manager.newSubManager()) {
                        float[] got = model.logits(step.create(piece, new Shape(1, chunk)), null, cache, null)
                                .toFloatArray();
                        for (int i = 0; i < chunk * vocab; i++) {
                            assertEquals(whole[done * vocab + i], got[i], 1e-5, "position " + (done + i / vocab));
                        }
                    }
                    done += chunk;
                    assertEquals(done, cache.length());
                }
            }
        }
    }

    @Test
    void projectionsAreSlotsUnderHuggingFaceNamesAndAllLinearSkipsTheHead() {
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.random(LlamaConfig.tiny(), 1, manager)) {
            List<String> names = List.copyOf(model.linearLayers().keySet());
            assertEquals(List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj",
                    "model.layers.0.self_attn.v_proj", "model.layers.0.self_attn.o_proj",
                    "model.layers.0.mlp.gate_proj", "model.layers.0.mlp.up_proj", "model.layers.0.mlp.down_proj"),
                    names.subList(0, 7));
            assertEquals("lm_head", names.get(names.size() - 1));
            assertEquals(2 * 7 + 1, names.size());
            TargetModules all = TargetModules.allLinear();
            assertFalse(all.matches("lm_head", model.headModules().contains("lm_head")));
            assertTrue(all.matches("model.layers.1.mlp.down_proj", false));
            // tied: the head is the embedding table itself, and there is no separate lm_head parameter
            assertFalse(model.parameters().containsKey("lm_head.weight"));
            assertTrue(model.head().weight() == model.parameters().get("model.embed_tokens.weight"));
            assertArrayEquals(new long[] {2, 8}, new long[] {model.config().numKeyValueHeads(),
                    model.config().headDim()});
        }
    }

    /**
     * The directory {@link LlamaModel#save} writes, read back as raw safetensors and JSON: exactly the state-dict keys
     * and shapes of transformers' {@code LlamaForCausalLM} (written out here from its {@code modeling_llama.py}, not
     * taken from {@link LlamaWeights}), and the config fields its {@code LlamaConfig} reads.
     */
    @Test
    void aSavedDirectoryHasHuggingFaceLlamaKeysShapesAndConfig(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        LlamaConfig config = LlamaConfig.tiny().withTieWordEmbeddings(false); // vocab 64, hidden 32, MLP 48, GQA 4/2
        java.util.Map<String, long[]> expected = new java.util.LinkedHashMap<>();
        expected.put("model.embed_tokens.weight", new long[] {64, 32});
        for (int i = 0; i < 2; i++) {
            String p = "model.layers." + i + ".";
            expected.put(p + "self_attn.q_proj.weight", new long[] {32, 32});
            expected.put(p + "self_attn.k_proj.weight", new long[] {16, 32});
            expected.put(p + "self_attn.v_proj.weight", new long[] {16, 32});
            expected.put(p + "self_attn.o_proj.weight", new long[] {32, 32});
            expected.put(p + "mlp.gate_proj.weight", new long[] {48, 32});
            expected.put(p + "mlp.up_proj.weight", new long[] {48, 32});
            expected.put(p + "mlp.down_proj.weight", new long[] {32, 48});
            expected.put(p + "input_layernorm.weight", new long[] {32});
            expected.put(p + "post_attention_layernorm.weight", new long[] {32});
        }
        expected.put("model.norm.weight", new long[] {32});
        expected.put("lm_head.weight", new long[] {64, 32});
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.random(config, 2, manager)) {
            model.save(dir, "F16");
        }
        var tensors = dev.peft4j.core.io.SafeTensors.read(dir.resolve("model.safetensors")).tensors();
        assertEquals(new java.util.TreeSet<>(expected.keySet()), new java.util.TreeSet<>(tensors.keySet()));
        expected.forEach((key, shape) -> {
            assertArrayEquals(shape, tensors.get(key).shape(), key);
            assertEquals("F16", tensors.get(key).dtype(), key);
        });
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dir.resolve("config.json").toFile());
        assertEquals("llama", json.get("model_type").asText());
        assertEquals("LlamaForCausalLM", json.get("architectures").get(0).asText());
        for (String field : List.of("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "max_position_embeddings", "rms_norm_eps", "rope_theta",
                "tie_word_embeddings", "hidden_act", "bos_token_id", "eos_token_id")) {
            assertTrue(json.has(field), "config.json lacks " + field);
        }
        assertEquals(2, json.get("num_key_value_heads").asInt());
        assertFalse(json.get("tie_word_embeddings").asBoolean());
    }

    private static long[] flatten(int[][] rows) {
        return java.util.Arrays.stream(rows).flatMapToInt(java.util.Arrays::stream).asLongStream().toArray();
    }
}
