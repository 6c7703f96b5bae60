package dev.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import dev.peft4j.models.io.SafeTensorsCheckpoint;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/** Hugging Face's state-dict layout, the random init, and strict safetensors I/O in one file or shards. */
class LlamaWeightsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path temp;

    @Test
    void tinyShapesFollowTheHuggingFaceStateDict() {
        Map<String, long[]> shapes = LlamaWeights.shapes(LlamaConfig.tiny());
        assertEquals(1 + 2 * 9 + 1, shapes.size()); // tied: no lm_head
        List<String> keys = List.copyOf(shapes.keySet());
        assertEquals(List.of("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
                "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight",
                "model.layers.0.self_attn.o_proj.weight", "model.layers.0.mlp.gate_proj.weight",
                "model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.down_proj.weight",
                "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight"),
                keys.subList(0, 10));
        assertEquals("model.norm.weight", keys.get(keys.size() - 1));
        assertArrayEquals(new long[] {64, 32}, shapes.get("model.embed_tokens.weight"));
        assertArrayEquals(new long[] {32, 32}, shapes.get("model.layers.1.self_attn.q_proj.weight"));
        assertArrayEquals(new long[] {16, 32}, shapes.get("model.layers.1.self_attn.k_proj.weight")); // 2 kv heads x 8
        assertArrayEquals(new long[] {16, 32}, shapes.get("model.layers.1.self_attn.v_proj.weight"));
        assertArrayEquals(new long[] {32, 32}, shapes.get("model.layers.1.self_attn.o_proj.weight"));
        assertArrayEquals(new long[] {48, 32}, shapes.get("model.layers.1.mlp.up_proj.weight"));
        assertArrayEquals(new long[] {32, 48}, shapes.get("model.layers.1.mlp.down_proj.weight"));
        assertArrayEquals(new long[] {32}, shapes.get("model.layers.1.post_attention_layernorm.weight"));
        assertFalse(keys.stream().anyMatch(k -> k.contains("rotary") || k.contains("lm_head") || k.endsWith("bias")));

        Map<String, long[]> untied = LlamaWeights.shapes(LlamaConfig.tiny().withTieWordEmbeddings(false));
        assertEquals("lm_head.weight", List.copyOf(untied.keySet()).get(untied.size() - 1));
        assertArrayEquals(new long[] {64, 32}, untied.get("lm_head.weight"));

        List<String> biased = List.copyOf(LlamaWeights.shapes(LlamaConfig.tiny().withBiases(true, true)).keySet());
        assertEquals(1 + 2 * 16 + 1, biased.size());
        assertEquals(List.of("model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.q_proj.bias",
                "model.layers.0.self_attn.k_proj.weight", "model.layers.0.self_attn.k_proj.bias"),
                biased.subList(1, 5));
        assertArrayEquals(new long[] {16},
                LlamaWeights.shapes(LlamaConfig.tiny().withBiases(true, true)).get("model.layers.0.self_attn.v_proj.bias"));
        assertArrayEquals(new long[] {32},
                LlamaWeights.shapes(LlamaConfig.tiny().withBiases(false, true)).get("model.layers.0.mlp.down_proj.bias"));
    }

    @Test
    void realModelsHaveTheirPublishedParameterCounts() throws IOException {
        LlamaConfig llama2 = LlamaConfig.fromJson(LlamaConfigTest.LLAMA_2_7B, "7b");
        Map<String, long[]> shapes = LlamaWeights.shapes(llama2);
        assertEquals(32 * 9 + 3, shapes.size());
        assertEquals(291, shapes.size());
        assertEquals(6_738_415_616L, LlamaWeights.parameterCount(llama2));
        assertArrayEquals(new long[] {4096, 4096}, shapes.get("model.layers.31.self_attn.k_proj.weight"));
        assertArrayEquals(new long[] {11008, 4096}, shapes.get("model.layers.31.mlp.gate_proj.weight"));
        assertArrayEquals(new long[] {32000, 4096}, shapes.get("lm_head.weight"));

        LlamaConfig tinyLlama = LlamaConfig.fromJson(LlamaConfigTest.TINYLLAMA_1_1B, "tinyllama");
        assertEquals(1_100_048_384L, LlamaWeights.parameterCount(tinyLlama));
        assertArrayEquals(new long[] {256, 2048},
                LlamaWeights.shapes(tinyLlama).get("model.layers.21.self_attn.v_proj.weight"));
    }

    @Test
    void randomIsHuggingFaceInitAndReproducible() {
        LlamaConfig c = LlamaConfig.tiny().withBiases(true, true).withPadTokenId(3);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> a = LlamaWeights.random(c, 42, manager);
            Map<String, NDArray> b = LlamaWeights.random(c, 42, manager);
            Map<String, NDArray> other = LlamaWeights.random(c, 43, manager);
            assertEquals(List.copyOf(LlamaWeights.shapes(c).keySet()), List.copyOf(a.keySet()));
            a.forEach((k, v) -> assertArrayEquals(v.toFloatArray(), b.get(k).toFloatArray(), 0f, k));
            String q = "model.layers.0.self_attn.q_proj.weight";
            assertFalse(java.util.Arrays.equals(a.get(q).toFloatArray(), other.get(q).toFloatArray()));
            for (Map.Entry<String, NDArray> e : a.entrySet()) {
                float[] v = e.getValue().toFloatArray();
                assertArrayEquals(LlamaWeights.shapes(c).get(e.getKey()), e.getValue().getShape().getShape());
                if (e.getKey().endsWith("norm.weight")) {
                    for (float x : v) {
                        assertEquals(1f, x, e.getKey());
                    }
                } else if (e.getKey().endsWith(".bias")) {
                    for (float x : v) {
                        assertEquals(0f, x, e.getKey());
                    }
                }
            }
            float[] embed = a.get("model.embed_tokens.weight").toFloatArray();
            for (int j = 0; j < 32; j++) {
                assertEquals(0f, embed[3 * 32 + j], "the padding row starts at zero, as nn.Embedding(padding_idx)");
            }
            float[] up = a.get("model.layers.1.mlp.up_proj.weight").toFloatArray();
            double sum = 0;
            double squares = 0;
            for (float x : up) {
                sum += x;
                squares += (double) x * x;
            }
            double std = Math.sqrt(squares / up.length - Math.pow(sum / up.length, 2));
            assertEquals(0.02, std, 0.002, "N(0, initializer_range)");
            // the bits are fixed by java.util.Random, whatever the engine or machine
            assertEquals(Float.floatToIntBits((float) new java.util.Random(42).nextGaussian() * 0.02f),
                    Float.floatToIntBits(embed[0]));
        }
    }

    @Test
    void f32SaveLoadIsExact() throws IOException {
        for (LlamaConfig c : List.of(LlamaConfig.tiny(), LlamaConfig.tiny().withTieWordEmbeddings(false)
                .withBiases(true, true))) {
            try (NDManager manager = NDManager.newBaseManager()) {
                Map<String, NDArray> params = LlamaWeights.random(c, 1, manager);
                Path dir = temp.resolve("f32-" + c.tieWordEmbeddings());
                LlamaWeights.save(params, c, dir, "F32");
                SafeTensors.Loaded file = SafeTensors.read(dir.resolve(LlamaWeights.WEIGHTS_FILE));
                assertEquals(Map.of("format", "pt"), file.metadata());
                assertEquals(LlamaWeights.shapes(c).keySet(), file.tensors().keySet());
                assertEquals("F32", file.tensors().get("model.norm.weight").dtype());
                Map<String, NDArray> loaded = LlamaWeights.load(dir, c, manager);
                assertEquals(List.copyOf(params.keySet()), List.copyOf(loaded.keySet()));
                assertSame(params, loaded, 0);
                assertFalse(Files.exists(dir.resolve(LlamaWeights.INDEX_FILE)));
            }
        }
    }

    /**
     * F16 and BF16 round to nearest, so each value comes back within half an ulp of the format: relative error at most
     * 2^-11 for F16 (10 stored mantissa bits; below 2^-14 F16 is subnormal and the bound is absolute, 2^-25) and 2^-8
     * for BF16 (7 bits, float's exponent range). The loaded values are also exactly what the encoder gives.
     */
    @Test
    void halfPrecisionSaveLoadIsWithinHalfAnUlp() throws IOException {
        LlamaConfig c = LlamaConfig.tiny();
        for (String dtype : List.of("F16", "BF16")) {
            try (NDManager manager = NDManager.newBaseManager()) {
                Map<String, NDArray> params = LlamaWeights.random(c, 5, manager);
                Path dir = temp.resolve(dtype);
                LlamaWeights.save(params, c, dir, dtype);
                SafeTensors.Loaded file = SafeTensors.read(dir.resolve(LlamaWeights.WEIGHTS_FILE));
                file.tensors().values().forEach(t -> assertEquals(dtype, t.dtype()));
                Map<String, NDArray> loaded = LlamaWeights.load(dir, c, manager);
                float relative = dtype.equals("F16") ? 0x1p-11f : 0x1p-8f;
                float absolute = dtype.equals("F16") ? 0x1p-25f : 0f;
                for (Map.Entry<String, NDArray> e : params.entrySet()) {
                    float[] x = e.getValue().toFloatArray();
                    float[] y = loaded.get(e.getKey()).toFloatArray();
                    float[] encoded = TensorData.ofFloats(dtype, e.getValue().getShape().getShape(), x).asFloats();
                    assertArrayEquals(encoded, y, 0f, e.getKey());
                    for (int i = 0; i < x.length; i++) {
                        float bound = Math.max(Math.abs(x[i]) * relative, absolute);
                        assertTrue(Math.abs(x[i] - y[i]) <= bound, dtype + " " + e.getKey() + "[" + i + "]: " + x[i]
                                + " came back as " + y[i]);
                    }
                }
            }
        }
    }

    @Test
    void shardedSaveMatchesTransformersLayoutAndLoadsLikeOneFile() throws IOException {
        LlamaConfig c = LlamaConfig.tiny().withTieWordEmbeddings(false);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = LlamaWeights.random(c, 9, manager);
            Path single = temp.resolve("single");
            Path sharded = temp.resolve("sharded");
            LlamaWeights.save(params, c, single, "BF16");
            LlamaWeights.saveSharded(params, c, sharded, "BF16", 6144);

            assertFalse(Files.exists(sharded.resolve(LlamaWeights.WEIGHTS_FILE)));
            String indexText = Files.readString(sharded.resolve(LlamaWeights.INDEX_FILE));
            assertTrue(indexText.startsWith("{\n  \"metadata\": {\n    \"total_size\": "), indexText);
            JsonNode index = JSON.readTree(indexText);
            List<List<String>> plan = SafeTensorsCheckpoint.planShards(LlamaWeights.shapes(c), 2, 6144);
            assertTrue(plan.size() > 2, "the limit splits the tiny model");
            long total = 0;
            for (long[] shape : LlamaWeights.shapes(c).values()) {
                total += 2 * new Shape(shape).size();
            }
            assertEquals(total, index.get("metadata").get("total_size").longValue());
            JsonNode weightMap = index.get("weight_map");
            assertEquals(LlamaWeights.shapes(c).size(), weightMap.size());
            List<String> keys = new ArrayList<>();
            weightMap.fieldNames().forEachRemaining(keys::add);
            assertEquals(keys.stream().sorted().toList(), keys, "weight_map is sorted, as transformers writes it");
            for (int k = 0; k < plan.size(); k++) {
                String name = String.format("model-%05d-of-%05d.safetensors", k + 1, plan.size());
                SafeTensors.Loaded shard = SafeTensors.read(sharded.resolve(name));
                assertEquals(Map.of("format", "pt"), shard.metadata());
                assertEquals(Set.copyOf(plan.get(k)), shard.tensors().keySet());
                for (String key : plan.get(k)) {
                    assertEquals(name, weightMap.get(key).textValue());
                }
            }
            // the embedding's 64 x 32 x 2 = 4096 bytes and q_proj's 2048 fill the first shard exactly
            assertEquals(List.of("model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight"), plan.get(0));
            assertSame(LlamaWeights.load(single, c, manager), LlamaWeights.load(sharded, c, manager), 0);

            // re-saving as one file removes the shards and the index; re-sharding removes the single file
            LlamaWeights.save(params, c, sharded, "F32");
            try (Stream<Path> files = Files.list(sharded)) {
                assertEquals(List.of(LlamaWeights.WEIGHTS_FILE),
                        files.map(p -> p.getFileName().toString()).toList());
            }
            LlamaWeights.saveSharded(params, c, sharded, "F32", 1);
            assertFalse(Files.exists(sharded.resolve(LlamaWeights.WEIGHTS_FILE)));
            int n = LlamaWeights.shapes(c).size();
            assertTrue(Files.exists(sharded.resolve(String.format("model-%05d-of-%05d.safetensors", n, n))),
                    "a limit below every tensor puts each in its own shard");
            assertSame(params, LlamaWeights.load(sharded, c, manager), 0);
            LlamaWeights.saveSharded(params, c, sharded, "F32", LlamaWeights.DEFAULT_MAX_SHARD_BYTES);
            try (Stream<Path> files = Files.list(sharded)) {
                assertEquals(List.of(LlamaWeights.WEIGHTS_FILE),
                        files.map(p -> p.getFileName().toString()).toList(), "one shard is model.safetensors");
            }
        }
    }

    @Test
    void missingUnexpectedAndMisShapedTensorsAreRefusedByName() throws IOException {
        LlamaConfig c = LlamaConfig.tiny();
        String q = "model.layers.1.self_attn.q_proj.weight";
        AdapterFormatException e = refused(c, tensors -> tensors.remove(q));
        assertEquals(q, e.key());
        assertTrue(e.getMessage().contains("[32, 32]") && e.getMessage().contains("no such tensor"), e.getMessage());

        e = refused(c, tensors -> tensors.put("model.layers.2.mlp.up_proj.weight",
                TensorData.ofFloats(new long[] {48, 32}, new float[48 * 32])));
        assertEquals("model.layers.2.mlp.up_proj.weight", e.key());
        assertTrue(e.getMessage().contains("num_hidden_layers 2"), e.getMessage());

        e = refused(c, tensors -> tensors.put("model.layers.0.self_attn.q_proj.bias",
                TensorData.ofFloats(new long[] {32}, new float[32])));
        assertTrue(e.getMessage().contains("attention_bias false"), e.getMessage());

        e = refused(c, tensors -> tensors.put("embed_tokens.weight", TensorData.ofFloats(new long[] {1}, new float[1])));
        assertTrue(e.getMessage().contains("\"model.\""), e.getMessage());

        e = refused(c, tensors -> tensors.put(q, TensorData.ofFloats(new long[] {32, 16}, new float[32 * 16])));
        assertEquals(q, e.key());
        assertTrue(e.getMessage().contains("shape [32, 32]") && e.getMessage().contains("shape [32, 16]"),
                e.getMessage());

        e = refused(c, tensors -> tensors.put(q, TensorData.ofLongs(new long[] {32, 32}, new long[32 * 32])));
        assertTrue(e.getMessage().contains("I64"), e.getMessage());

        e = refused(c.withTieWordEmbeddings(false), tensors -> { });
        assertEquals("lm_head.weight", e.key());
        assertTrue(e.getMessage().contains("tie_word_embeddings"), e.getMessage());
    }

    @Test
    void nonFiniteValuesAreRefusedByName() throws IOException {
        String down = "model.layers.0.mlp.down_proj.weight";
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            AdapterFormatException e = refused(LlamaConfig.tiny(), tensors -> {
                float[] values = tensors.get(down).asFloats();
                values[17] = bad;
                tensors.put(down, TensorData.ofFloats("BF16", tensors.get(down).shape(), values));
            });
            assertEquals(down, e.key());
            assertTrue(e.getMessage().contains("index 17") && e.getMessage().contains(String.valueOf(bad)),
                    e.getMessage());
        }
    }

    @Test
    void oldRotaryBuffersAndAnEqualTiedHeadAreTolerated() throws IOException {
        LlamaConfig c = LlamaConfig.tiny();
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = LlamaWeights.random(c, 3, manager);
            Map<String, TensorData> tensors = tensors(params, "F16");
            tensors.put("model.layers.0.self_attn.rotary_emb.inv_freq", TensorData.ofFloats(new long[] {4},
                    new float[] {1f, 0.1f, 0.01f, 0.001f}));
            tensors.put("model.layers.1.self_attn.rotary_emb.inv_freq", TensorData.ofFloats(new long[] {4},
                    new float[] {1f, 0.1f, 0.01f, Float.NaN})); // never read, whatever it holds
            tensors.put("lm_head.weight", tensors.get("model.embed_tokens.weight"));
            Path dir = temp.resolve("tolerated");
            Files.createDirectories(dir);
            SafeTensors.write(dir.resolve(LlamaWeights.WEIGHTS_FILE), tensors, Map.of());
            Map<String, NDArray> loaded = LlamaWeights.load(dir, c, manager);
            assertEquals(LlamaWeights.shapes(c).keySet(), loaded.keySet());
            assertFalse(loaded.containsKey("lm_head.weight"));

            float[] head = tensors.get("model.embed_tokens.weight").asFloats();
            head[100] += 1f;
            tensors.put("lm_head.weight", TensorData.ofFloats(new long[] {64, 32}, head));
            SafeTensors.write(dir.resolve(LlamaWeights.WEIGHTS_FILE), tensors, Map.of());
            AdapterFormatException e = assertThrows(AdapterFormatException.class,
                    () -> LlamaWeights.load(dir, c, manager));
            assertEquals("lm_head.weight", e.key());
            assertTrue(e.getMessage().contains("index 100") && e.getMessage().contains("tie_word_embeddings"),
                    e.getMessage());

            tensors.remove("lm_head.weight");
            tensors.put("model.layers.2.self_attn.rotary_emb.inv_freq", TensorData.ofFloats(new long[] {1},
                    new float[1])); // a layer this config does not have
            SafeTensors.write(dir.resolve(LlamaWeights.WEIGHTS_FILE), tensors, Map.of());
            e = assertThrows(AdapterFormatException.class, () -> LlamaWeights.load(dir, c, manager));
            assertEquals("model.layers.2.self_attn.rotary_emb.inv_freq", e.key());
        }
    }

    @Test
    void brokenShardIndexesAreRefusedNamingFileAndKey() throws IOException {
        LlamaConfig c = LlamaConfig.tiny();
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = LlamaWeights.random(c, 4, manager);
            Path dir = temp.resolve("shards");
            LlamaWeights.saveSharded(params, c, dir, "F32", 9000);
            Path indexFile = dir.resolve(LlamaWeights.INDEX_FILE);
            String original = Files.readString(indexFile);
            ObjectNode index = (ObjectNode) JSON.readTree(original);
            ObjectNode weightMap = (ObjectNode) index.get("weight_map");
            String firstShard = weightMap.get("model.embed_tokens.weight").textValue();
            String lastShard = weightMap.get("model.norm.weight").textValue();
            assertNotEquals(firstShard, lastShard);

            // a key mapped to a shard that lacks it
            weightMap.put("model.norm.weight", firstShard);
            Files.writeString(indexFile, JSON.writeValueAsString(index));
            AdapterFormatException e = assertThrows(AdapterFormatException.class,
                    () -> LlamaWeights.load(dir, c, manager));
            assertEquals("model.norm.weight", e.key());
            assertEquals(dir.resolve(firstShard), e.file());

            // a key mapped to a shard file that does not exist
            weightMap.put("model.norm.weight", "model-00099-of-00099.safetensors");
            Files.writeString(indexFile, JSON.writeValueAsString(index));
            e = assertThrows(AdapterFormatException.class, () -> LlamaWeights.load(dir, c, manager));
            assertEquals("model.norm.weight", e.key());
            assertEquals(indexFile, e.file());
            assertTrue(e.getMessage().contains("model-00099-of-00099.safetensors"), e.getMessage());

            // a shard outside the directory
            weightMap.put("model.norm.weight", "../" + lastShard);
            Files.writeString(indexFile, JSON.writeValueAsString(index));
            e = assertThrows(AdapterFormatException.class, () -> LlamaWeights.load(dir, c, manager));
            assertEquals("model.norm.weight", e.key());

            // a key missing from the index (its shard then holds an unlisted tensor)
            weightMap.remove("model.norm.weight");
            Files.writeString(indexFile, JSON.writeValueAsString(index));
            e = assertThrows(AdapterFormatException.class, () -> LlamaWeights.load(dir, c, manager));
            assertEquals("model.norm.weight", e.key());
            assertEquals(dir.resolve(lastShard), e.file());

            Files.writeString(indexFile, "{\"metadata\": {}}");
            e = assertThrows(AdapterFormatException.class, () -> LlamaWeights.load(dir, c, manager));
            assertEquals("weight_map", e.key());
            Files.writeString(indexFile, "{\"weight_map\": ");
            e = assertThrows(AdapterFormatException.class, () -> LlamaWeights.load(dir, c, manager));
            assertEquals("<json>", e.key());

            Files.writeString(indexFile, original);
            assertSame(params, LlamaWeights.load(dir, c, manager), 0);
        }
    }

    @Test
    void aDirectoryWithoutWeightsSaysWhichFilesWereLookedFor() throws IOException {
        Files.createDirectories(temp.resolve("empty"));
        try (NDManager manager = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class,
                    () -> LlamaWeights.load(temp.resolve("empty"), LlamaConfig.tiny(), manager));
            assertTrue(e.getMessage().contains(LlamaWeights.WEIGHTS_FILE)
                    && e.getMessage().contains(LlamaWeights.INDEX_FILE), e.getMessage());
            Files.writeString(temp.resolve("empty").resolve("pytorch_model.bin"), "pickle");
            e = assertThrows(IOException.class,
                    () -> LlamaWeights.load(temp.resolve("empty"), LlamaConfig.tiny(), manager));
            assertTrue(e.getMessage().contains("pytorch_model.bin"), e.getMessage());
        }
    }

    @Test
    void saveRefusesParametersThatDoNotMatchOrCannotBeStored() throws IOException {
        LlamaConfig c = LlamaConfig.tiny();
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = temp.resolve("refused");
            Map<String, NDArray> params = LlamaWeights.random(c, 2, manager);
            Map<String, NDArray> extra = new LinkedHashMap<>(params);
            extra.put("lm_head.weight", params.get("model.embed_tokens.weight"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LlamaWeights.save(extra, c, dir, "F32"));
            assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("ties"), e.getMessage());
            Map<String, NDArray> missing = new LinkedHashMap<>(params);
            missing.remove("model.norm.weight");
            e = assertThrows(IllegalArgumentException.class, () -> LlamaWeights.save(missing, c, dir, "F32"));
            assertTrue(e.getMessage().contains("model.norm.weight"), e.getMessage());
            Map<String, NDArray> misShaped = new LinkedHashMap<>(params);
            misShaped.put("model.norm.weight", manager.ones(new Shape(31)));
            e = assertThrows(IllegalArgumentException.class, () -> LlamaWeights.save(misShaped, c, dir, "F32"));
            assertTrue(e.getMessage().contains("(31)") && e.getMessage().contains("[32]"), e.getMessage());
            Map<String, NDArray> nan = new LinkedHashMap<>(params);
            nan.put("model.norm.weight", manager.ones(new Shape(32)).div(0).sub(manager.ones(new Shape(32)).div(0)));
            e = assertThrows(IllegalArgumentException.class, () -> LlamaWeights.save(nan, c, dir, "BF16"));
            assertTrue(e.getMessage().contains("NaN"), e.getMessage());
            Map<String, NDArray> large = new LinkedHashMap<>(params);
            large.put("model.norm.weight", manager.full(new Shape(32), 70000f));
            e = assertThrows(IllegalArgumentException.class, () -> LlamaWeights.save(large, c, dir, "F16"));
            assertTrue(e.getMessage().contains("70000") && e.getMessage().contains("F16"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> LlamaWeights.save(params, c, dir, "F64"));
            assertTrue(e.getMessage().contains("F64"), e.getMessage());
            assertFalse(Files.exists(dir.resolve(LlamaWeights.WEIGHTS_FILE)), "nothing written when refused");

            LlamaWeights.save(large, c, dir, "BF16"); // bf16 has float's range
            assertEquals(70144f, LlamaWeights.load(dir, c, manager).get("model.norm.weight").toFloatArray()[0]);
            // the overflow thresholds of the check are those of the encoder
            assertTrue(Float.isInfinite(TensorData.ofFloats("F16", new long[] {1}, new float[] {65520f}).asFloats()[0]));
            assertEquals(65504f, TensorData.ofFloats("F16", new long[] {1},
                    new float[] {Math.nextDown(65520f)}).asFloats()[0]);
            float bf16Overflow = Float.intBitsToFloat(0x7F7F8000);
            assertTrue(Float.isInfinite(TensorData.ofFloats("BF16", new long[] {1},
                    new float[] {bf16Overflow}).asFloats()[0]));
            assertTrue(Float.isFinite(TensorData.ofFloats("BF16", new long[] {1},
                    new float[] {Math.nextDown(bf16Overflow)}).asFloats()[0]));
        }
    }

    /**
     * A checkpoint whose tensors lie beyond byte 2^31 of the file loads: safetensors offsets are 64-bit and
     * SafeTensors.read maps the file in pieces below Java's 2 GiB buffer limit. The file is sparse (the header, then
     * a hole, then the tiny model's bytes at the end), so it costs no disk; the hole is covered by two
     * {@code rotary_emb.inv_freq} buffers, which the loader skips unread, because safetensors allows no gap between
     * tensors.
     */
    @Test
    @DisabledOnOs(value = OS.WINDOWS, disabledReason = "NTFS files are not sparse by default: 2 GiB would be written")
    void tensorsBeyondTwoGibibytesLoadFromASparseFile() throws IOException {
        LlamaConfig c = LlamaConfig.tiny();
        Path dir = temp.resolve("sparse");
        Files.createDirectories(dir);
        Path file = dir.resolve(LlamaWeights.WEIGHTS_FILE);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = LlamaWeights.random(c, 11, manager);
            long fillerA = Integer.MAX_VALUE - 3; // 2^31 - 4 bytes: the largest F32 tensor one Java buffer holds
            long fillerB = 16;
            ObjectNode header = JSON.createObjectNode();
            header.putObject("__metadata__").put("format", "pt");
            entry(header, "model.layers.0.self_attn.rotary_emb.inv_freq", new long[] {fillerA / 4}, 0, fillerA);
            entry(header, "model.layers.1.self_attn.rotary_emb.inv_freq", new long[] {fillerB / 4}, fillerA,
                    fillerA + fillerB);
            long offset = fillerA + fillerB;
            ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(4 * LlamaWeights.parameterCount(c)))
                    .order(ByteOrder.LITTLE_ENDIAN);
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                float[] values = e.getValue().toFloatArray();
                entry(header, e.getKey(), e.getValue().getShape().getShape(), offset, offset + 4L * values.length);
                offset += 4L * values.length;
                data.asFloatBuffer().put(values);
                data.position(data.position() + 4 * values.length);
            }
            StringBuilder text = new StringBuilder(JSON.writeValueAsString(header));
            while (text.length() % 8 != 0) {
                text.append(' ');
            }
            byte[] headerBytes = text.toString().getBytes(StandardCharsets.UTF_8);
            long dataStart = 8 + headerBytes.length;
            long tinyStart = dataStart + fillerA + fillerB;
            assertTrue(tinyStart > (1L << 31), "the model's tensors start past 2 GiB");
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
                raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).array());
                raf.write(headerBytes);
                raf.setLength(tinyStart + data.capacity());
                raf.seek(tinyStart);
                raf.write(data.array());
            }
            Map<String, NDArray> loaded = LlamaWeights.load(dir, c, manager);
            assertSame(params, loaded, 0);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static void entry(ObjectNode header, String name, long[] shape, long begin, long end) {
        ObjectNode e = header.putObject(name);
        e.put("dtype", "F32");
        var dims = e.putArray("shape");
        for (long d : shape) {
            dims.add(d);
        }
        e.putArray("data_offsets").add(begin).add(end);
    }

    /** Saves the tiny model's tensors with {@code change} applied and returns the error loading them gives. */
    private AdapterFormatException refused(LlamaConfig c, Consumer<Map<String, TensorData>> change)
            throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, TensorData> tensors = tensors(LlamaWeights.random(LlamaConfig.tiny(), 6, manager), "F32");
            change.accept(tensors);
            Path dir = Files.createTempDirectory(temp, "refused");
            Path file = dir.resolve(LlamaWeights.WEIGHTS_FILE);
            SafeTensors.write(file, tensors, Map.of("format", "pt"));
            AdapterFormatException e = assertThrows(AdapterFormatException.class,
                    () -> LlamaWeights.load(dir, c, manager));
            assertEquals(file, e.file());
            assertTrue(e.getMessage().contains("Fix:"), e.getMessage());
            return e;
        }
    }

    private static Map<String, TensorData> tensors(Map<String, NDArray> params, String dtype) {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        params.forEach((k, v) -> tensors.put(k, TensorData.ofFloats(dtype, v.getShape().getShape(),
                v.toFloatArray())));
        return tensors;
    }

    private static void assertSame(Map<String, NDArray> expected, Map<String, NDArray> actual, float delta) {
        assertEquals(expected.keySet(), actual.keySet());
        Iterator<String> keys = expected.keySet().iterator();
        while (keys.hasNext()) {
            String k = keys.next();
            assertArrayEquals(expected.get(k).getShape().getShape(), actual.get(k).getShape().getShape(), k);
            assertArrayEquals(expected.get(k).toFloatArray(), actual.get(k).toFloatArray(), delta, k);
        }
    }
}
