package dev.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.core.io.AdapterFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json as Hugging Face writes it: real configs parse, unsupported ones are refused by name, saves reload. */
class LlamaConfigTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** meta-llama/Llama-2-7b-hf's config.json, verbatim apart from whitespace. */
    static final String LLAMA_2_7B = """
            {
              "_name_or_path": "meta-llama/Llama-2-7b-hf",
              "architectures": ["LlamaForCausalLM"],
              "bos_token_id": 1,
              "eos_token_id": 2,
              "hidden_act": "silu",
              "hidden_size": 4096,
              "initializer_range": 0.02,
              "intermediate_size": 11008,
              "max_position_embeddings": 4096,
              "model_type": "llama",
              "num_attention_heads": 32,
              "num_hidden_layers": 32,
              "num_key_value_heads": 32,
              "pretraining_tp": 1,
              "rms_norm_eps": 1e-05,
              "rope_scaling": null,
              "tie_word_embeddings": false,
              "torch_dtype": "float16",
              "transformers_version": "4.31.0.dev0",
              "use_cache": true,
              "vocab_size": 32000
            }
            """;

    /** TinyLlama/TinyLlama-1.1B-Chat-v1.0's config.json: grouped-query attention, 32 heads sharing 4. */
    static final String TINYLLAMA_1_1B = """
            {
              "architectures": ["LlamaForCausalLM"],
              "attention_bias": false,
              "bos_token_id": 1,
              "eos_token_id": 2,
              "hidden_act": "silu",
              "hidden_size": 2048,
              "initializer_range": 0.02,
              "intermediate_size": 5632,
              "max_position_embeddings": 2048,
              "model_type": "llama",
              "num_attention_heads": 32,
              "num_hidden_layers": 22,
              "num_key_value_heads": 4,
              "pretraining_tp": 1,
              "rms_norm_eps": 1e-05,
              "rope_scaling": null,
              "rope_theta": 10000.0,
              "tie_word_embeddings": false,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.35.0",
              "use_cache": true,
              "vocab_size": 32000
            }
            """;

    /** Llama-3.2-1B-Instruct's shape: explicit head_dim, tied head, three eos ids, llama3 RoPE scaling. */
    static final String LLAMA_3_2_1B = """
            {
              "architectures": ["LlamaForCausalLM"],
              "attention_bias": false,
              "attention_dropout": 0.0,
              "bos_token_id": 128000,
              "eos_token_id": [128001, 128008, 128009],
              "head_dim": 64,
              "hidden_act": "silu",
              "hidden_size": 2048,
              "initializer_range": 0.02,
              "intermediate_size": 8192,
              "max_position_embeddings": 131072,
              "mlp_bias": false,
              "model_type": "llama",
              "num_attention_heads": 32,
              "num_hidden_layers": 16,
              "num_key_value_heads": 8,
              "pretraining_tp": 1,
              "rms_norm_eps": 1e-05,
              "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                "original_max_position_embeddings": 8192, "rope_type": "llama3"},
              "rope_theta": 500000.0,
              "tie_word_embeddings": true,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.45.0.dev0",
              "use_cache": true,
              "vocab_size": 128256
            }
            """;

    @TempDir
    Path temp;

    @Test
    void llama2SevenBParses() throws IOException {
        LlamaConfig c = LlamaConfig.fromJson(LLAMA_2_7B, "Llama-2-7b-hf/config.json");
        assertEquals(new LlamaConfig(32000, 4096, 11008, 32, 32, 32, 128, 4096, 1e-5f, 10000.0, false, false, false,
                0f, "silu", 1, List.of(2), null, 0.02f, "float16"), c);
        assertEquals(1, c.numKeyValueGroups());
        assertEquals(4096, c.queryDim());
    }

    @Test
    void tinyLlamaParsesWithGroupedQueryAttention() throws IOException {
        LlamaConfig c = LlamaConfig.fromJson(TINYLLAMA_1_1B, "TinyLlama/config.json");
        assertEquals(32, c.numAttentionHeads());
        assertEquals(4, c.numKeyValueHeads());
        assertEquals(8, c.numKeyValueGroups());
        assertEquals(64, c.headDim());
        assertEquals(256, c.keyValueDim());
        assertEquals(22, c.numHiddenLayers());
        assertEquals(5632, c.intermediateSize());
        assertEquals(2048, c.maxPositionEmbeddings());
        assertEquals(1e-5f, c.rmsNormEps());
        assertEquals(10000.0, c.ropeTheta());
        assertFalse(c.tieWordEmbeddings());
        assertEquals("bfloat16", c.torchDtype());
        assertEquals(List.of(2), c.eosTokenIds());
    }

    @Test
    void llama3ShapeParsesOnceItsRopeScalingIsRemoved() throws IOException {
        AdapterFormatException e = assertThrows(AdapterFormatException.class,
                () -> LlamaConfig.fromJson(LLAMA_3_2_1B, "Llama-3.2-1B/config.json"));
        assertEquals("rope_scaling", e.key());
        assertTrue(e.getMessage().contains("llama3") && e.getMessage().contains("Llama-3.2-1B/config.json"),
                e.getMessage());
        LlamaConfig c = LlamaConfig.fromJson(edit(LLAMA_3_2_1B, j -> j.putNull("rope_scaling")), "edited");
        assertEquals(List.of(128001, 128008, 128009), c.eosTokenIds());
        assertEquals(128000, c.bosTokenId());
        assertEquals(64, c.headDim());
        assertEquals(500000.0, c.ropeTheta());
        assertTrue(c.tieWordEmbeddings());
    }

    @Test
    void saveWritesWhatHuggingFaceReadsAndLoadsBack() throws IOException {
        LlamaConfig tiny = LlamaConfig.tiny();
        tiny.save(temp);
        assertEquals(tiny, LlamaConfig.load(temp));
        String text = Files.readString(temp.resolve(LlamaConfig.FILE));
        assertTrue(text.startsWith("{\n  \"architectures\": [\n    \"LlamaForCausalLM\"\n  ],\n"), text);
        assertTrue(text.contains("\n  \"model_type\": \"llama\",\n") && text.endsWith("}\n"), text);
        JsonNode json = JSON.readTree(text);
        assertEquals("[\"LlamaForCausalLM\"]", json.get("architectures").toString());
        assertEquals("llama", json.get("model_type").textValue());
        for (String field : List.of("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                "num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings", "rms_norm_eps",
                "rope_theta", "tie_word_embeddings", "attention_bias", "mlp_bias", "attention_dropout", "hidden_act",
                "bos_token_id", "eos_token_id", "pad_token_id", "initializer_range", "torch_dtype", "rope_scaling")) {
            assertTrue(json.has(field), field);
        }
        assertEquals(2, json.get("num_key_value_heads").intValue());
        assertEquals(2, json.get("eos_token_id").intValue()); // one eos id is written as a number, as HF does
        assertTrue(json.get("rope_scaling").isNull());
        assertTrue(json.get("tie_word_embeddings").booleanValue());

        for (String real : List.of(LLAMA_2_7B, TINYLLAMA_1_1B, edit(LLAMA_3_2_1B, j -> j.putNull("rope_scaling")))) {
            LlamaConfig c = LlamaConfig.fromJson(real, "real");
            Path dir = temp.resolve("rt" + c.hashCode());
            c.save(dir);
            assertEquals(c, LlamaConfig.load(dir));
        }
        LlamaConfig pad = tiny.withPadTokenId(0).withTieWordEmbeddings(false).withBiases(true, false);
        pad.save(temp);
        assertEquals(pad, LlamaConfig.load(temp)); // the second save replaced the first
    }

    @Test
    void missingFieldsTakeHuggingFaceDefaults() throws IOException {
        LlamaConfig c = LlamaConfig.fromJson("""
                {"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "intermediate_size": 128,
                 "num_hidden_layers": 2, "num_attention_heads": 4}
                """, "minimal");
        assertEquals(new LlamaConfig(100, 64, 128, 2, 4, 4, 16, 2048, 1e-6f, 10000.0, false, false, false, 0f,
                "silu", 1, List.of(2), null, 0.02f, null), c);
        LlamaConfig nulls = LlamaConfig.fromJson(edit(TINYLLAMA_1_1B, j -> {
            j.putNull("num_key_value_heads");
            j.putNull("head_dim");
            j.putNull("eos_token_id");
            j.putNull("bos_token_id");
            j.putNull("pad_token_id");
            j.putNull("torch_dtype");
        }), "nulls");
        assertEquals(32, nulls.numKeyValueHeads());
        assertEquals(64, nulls.headDim());
        assertEquals(List.of(), nulls.eosTokenIds());
        assertNull(nulls.bosTokenId());
        assertNull(nulls.padTokenId());
        assertNull(nulls.torchDtype());
    }

    @Test
    void harmlessVariantsAreAccepted() throws IOException {
        LlamaConfig base = LlamaConfig.fromJson(TINYLLAMA_1_1B, "tiny");
        // pretraining_tp only sliced the same matmuls in old transformers; current transformers ignores it
        assertEquals(base, LlamaConfig.fromJson(edit(TINYLLAMA_1_1B, j -> j.put("pretraining_tp", 2)), "tp"));
        assertEquals(base, LlamaConfig.fromJson(edit(TINYLLAMA_1_1B,
                j -> j.putObject("rope_scaling").put("rope_type", "default")), "default rope"));
        assertEquals(base, LlamaConfig.fromJson(edit(TINYLLAMA_1_1B, j -> {
            j.put("some_future_flag", true);
            j.put("_attn_implementation", "sdpa");
            j.putArray("architectures").add("LLaMAForCausalLM");
        }), "extras"));
        // transformers v5 spelling: rope_parameters and dtype
        LlamaConfig v5 = LlamaConfig.fromJson(edit(TINYLLAMA_1_1B, j -> {
            j.remove("rope_theta");
            j.remove("rope_scaling");
            j.remove("torch_dtype");
            j.put("dtype", "float32");
            j.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 500000.0);
        }), "v5");
        assertEquals(500000.0, v5.ropeTheta());
        assertEquals("float32", v5.torchDtype());
        assertEquals(500000.0, LlamaConfig.fromJson(edit(TINYLLAMA_1_1B, j -> j.put("rope_theta", 500000)), "int")
                .ropeTheta());
    }

    @Test
    void unsupportedModelsAreRefusedNamingTheField() {
        refused("model_type", "mistral", j -> j.put("model_type", "mistral"));
        refused("model_type", "no model_type", j -> j.remove("model_type"));
        refused("rope_scaling", "linear", j -> j.putObject("rope_scaling").put("type", "linear").put("factor", 2.0));
        refused("rope_scaling", "dynamic", j -> j.putObject("rope_scaling").put("rope_type", "dynamic"));
        refused("rope_scaling", "integer 4", j -> j.put("rope_scaling", 4));
        refused("rope_parameters", "yarn", j -> j.putObject("rope_parameters").put("rope_type", "yarn"));
        refused("rope_parameters.rope_theta", "500000", j -> j.putObject("rope_parameters")
                .put("rope_type", "default").put("rope_theta", 500000.0));
        refused("hidden_act", "gelu", j -> j.put("hidden_act", "gelu"));
        refused("architectures", "LlamaForSequenceClassification",
                j -> j.putArray("architectures").add("LlamaForSequenceClassification"));
        refused("quantization_config", "gptq", j -> j.putObject("quantization_config").put("quant_method", "gptq"));
        refused("pretraining_tp", "0", j -> j.put("pretraining_tp", 0));
    }

    @Test
    void wrongJsonTypesAreRefusedNamingTheField() {
        refused("hidden_size", "\"2048\"", j -> j.put("hidden_size", "2048"));
        refused("num_attention_heads", "32.0", j -> j.put("num_attention_heads", 32.0));
        refused("vocab_size", "no such field", j -> j.remove("vocab_size"));
        refused("vocab_size", "99999999999", j -> j.put("vocab_size", 99_999_999_999L));
        refused("tie_word_embeddings", "\"false\"", j -> j.put("tie_word_embeddings", "false"));
        refused("rms_norm_eps", "\"1e-5\"", j -> j.put("rms_norm_eps", "1e-5"));
        refused("rope_theta", "null", j -> j.putNull("rope_theta"));
        refused("eos_token_id", "\"2\"", j -> j.putArray("eos_token_id").add("2"));
        refused("bos_token_id", "true", j -> j.put("bos_token_id", true));
        refused("torch_dtype", "16", j -> j.put("torch_dtype", 16));
        refused("hidden_act", "null", j -> j.putNull("hidden_act"));
    }

    @Test
    void inconsistentSizesAreRefusedNamingTheField() {
        refused("num_key_value_heads", "5", j -> j.put("num_key_value_heads", 5));
        refused("head_dim", "63", j -> j.put("head_dim", 63));
        refused("head_dim", "hidden_size 2050", j -> j.put("hidden_size", 2050));
        refused("num_hidden_layers", "0", j -> j.put("num_hidden_layers", 0));
        refused("bos_token_id", "32000", j -> j.put("bos_token_id", 32000));
        refused("pad_token_id", "-1", j -> j.put("pad_token_id", -1));
        refused("attention_dropout", "1.0", j -> j.put("attention_dropout", 1.0));
        refused("rms_norm_eps", "0.0", j -> j.put("rms_norm_eps", 0.0));
    }

    @Test
    void brokenJsonAndMissingFilesAreClearErrors() throws IOException {
        AdapterFormatException e = assertThrows(AdapterFormatException.class,
                () -> LlamaConfig.fromJson("{\"model_type\": \"llama\",", "cut.json"));
        assertEquals("<json>", e.key());
        e = assertThrows(AdapterFormatException.class, () -> LlamaConfig.fromJson(
                "{\"model_type\": \"llama\", \"model_type\": \"llama\"}", "dup.json"));
        assertEquals("<json>", e.key());
        e = assertThrows(AdapterFormatException.class, () -> LlamaConfig.fromJson("[1, 2]", "array.json"));
        assertEquals("<json>", e.key());
        IOException missing = assertThrows(IOException.class, () -> LlamaConfig.load(temp.resolve("nowhere")));
        assertTrue(missing.getMessage().contains("config.json"), missing.getMessage());
        Path file = temp.resolve(LlamaConfig.FILE);
        Files.writeString(file, edit(TINYLLAMA_1_1B, j -> j.put("model_type", "qwen2")));
        e = assertThrows(AdapterFormatException.class, () -> LlamaConfig.load(temp));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
    }

    @Test
    void constructorChecksEveryConstraint() {
        LlamaConfig t = LlamaConfig.tiny();
        assertEquals(2, t.numKeyValueGroups());
        assertThrows(IllegalArgumentException.class, () -> new LlamaConfig(64, 32, 48, 2, 4, 3, 8, 64, 1e-6f, 1e4,
                true, false, false, 0f, "silu", 1, List.of(2), null, 0.02f, null));
        assertThrows(IllegalArgumentException.class, () -> new LlamaConfig(64, 32, 48, 2, 4, 2, 8, 64, 1e-6f, 1e4,
                true, false, false, 0f, "gelu", 1, List.of(2), null, 0.02f, null));
        assertThrows(IllegalArgumentException.class, () -> new LlamaConfig(64, 32, 48, 2, 4, 2, 8, 64, 1e-6f,
                Double.NaN, true, false, false, 0f, "silu", 1, List.of(2), null, 0.02f, null));
        assertThrows(IllegalArgumentException.class, () -> new LlamaConfig(64, 32, 48, 2, 4, 2, 8, 64, 1e-6f, 1e4,
                true, false, false, 0f, "silu", 1, List.of(64), null, 0.02f, null));
        assertThrows(NullPointerException.class, () -> new LlamaConfig(64, 32, 48, 2, 4, 2, 8, 64, 1e-6f, 1e4,
                true, false, false, 0f, "silu", 1, null, null, 0.02f, null));
        List<Integer> eos = new java.util.ArrayList<>(List.of(2));
        LlamaConfig copy = new LlamaConfig(64, 32, 48, 2, 4, 2, 8, 64, 1e-6f, 1e4, true, false, false, 0f, "silu", 1,
                eos, null, 0.02f, null);
        eos.add(3);
        assertEquals(List.of(2), copy.eosTokenIds()); // defensive copy
    }

    /** Asserts that TinyLlama's config with {@code change} applied is refused, naming {@code field} and the value. */
    private static void refused(String field, String foundFragment, Consumer<ObjectNode> change) {
        AdapterFormatException e = assertThrows(AdapterFormatException.class,
                () -> LlamaConfig.fromJson(edit(TINYLLAMA_1_1B, change), "/models/x/config.json"),
                "expected " + field + " to be refused");
        assertEquals(field, e.key(), e.getMessage());
        String compact = e.getMessage().replace(" ", "");
        assertTrue(compact.contains(foundFragment.replace(" ", "")), "message should show the value found ("
                + foundFragment + "): " + e.getMessage());
        assertTrue(e.getMessage().startsWith("/models/x/config.json"), e.getMessage());
        assertTrue(e.getMessage().contains("Fix:"), e.getMessage());
    }

    static String edit(String json, Consumer<ObjectNode> change) {
        try {
            ObjectNode node = (ObjectNode) JSON.readTree(json);
            change.accept(node);
            return JSON.writeValueAsString(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
