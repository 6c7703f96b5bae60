package dev.peft4j.models.llama;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.models.io.HuggingFaceJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@link LlamaConfig} to and from Hugging Face's {@code config.json}, apart from the record so that the record
 * states what a Llama model is and this class alone knows how {@code transformers} spells it on disk.
 *
 * <p>Reading goes field by field, with Hugging Face's defaults where {@code transformers} has them and an
 * {@link AdapterFormatException} naming the field for everything it cannot take (see {@link LlamaConfig} for what is
 * refused and why). One instance reads one file; the path only labels the messages.
 */
final class LlamaConfigJson {

    private static final String RESAVE = "fix config.json, or re-save the model with LlamaModel.save";

    private final Path file;

    private LlamaConfigJson(Path file) {
        this.file = file;
    }

    /** Reads {@code dir/config.json}; a directory without one is an error saying what a model directory holds. */
    static LlamaConfig load(Path dir) throws IOException {
        Path file = dir.resolve(LlamaConfig.FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("No " + LlamaConfig.FILE + " in " + dir + ": expected a Hugging Face Llama model "
                    + "directory (config.json with model.safetensors or model.safetensors.index.json), e.g. one "
                    + "written by LlamaModel.save or save_pretrained");
        }
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** The config in {@code json}; every problem is an {@link AdapterFormatException} on {@code sourceForMessages}. */
    static LlamaConfig parse(String json, String sourceForMessages) throws IOException {
        return new LlamaConfigJson(sourcePath(sourceForMessages)).read(json);
    }

    /** Atomically writes {@code dir/config.json}, creating {@code dir} if needed. */
    static void save(LlamaConfig c, Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(LlamaConfig.FILE), toJson(c));
    }

    /**
     * The text of {@link LlamaConfig#toJson}; the fields peft4j does not model get the values that mean "plain
     * Llama" ({@code pretraining_tp 1}, {@code use_cache true}), so {@code transformers} reads the model peft4j ran.
     */
    static String toJson(LlamaConfig c) {
        ObjectNode json = HuggingFaceJson.object();
        json.putArray("architectures").add(LlamaConfig.ARCHITECTURE);
        json.put("attention_bias", c.attentionBias());
        json.put("attention_dropout", c.attentionDropout());
        json.put("bos_token_id", c.bosTokenId());
        List<Integer> eos = c.eosTokenIds();
        if (eos.isEmpty()) {
            json.putNull("eos_token_id");
        } else if (eos.size() == 1) {
            json.put("eos_token_id", eos.get(0));
        } else {
            ArrayNode ids = json.putArray("eos_token_id");
            eos.forEach(ids::add);
        }
        json.put("head_dim", c.headDim());
        json.put("hidden_act", c.hiddenAct());
        json.put("hidden_size", c.hiddenSize());
        json.put("initializer_range", c.initializerRange());
        json.put("intermediate_size", c.intermediateSize());
        json.put("max_position_embeddings", c.maxPositionEmbeddings());
        json.put("mlp_bias", c.mlpBias());
        json.put("model_type", LlamaConfig.MODEL_TYPE);
        json.put("num_attention_heads", c.numAttentionHeads());
        json.put("num_hidden_layers", c.numHiddenLayers());
        json.put("num_key_value_heads", c.numKeyValueHeads());
        json.put("pad_token_id", c.padTokenId());
        json.put("pretraining_tp", 1);
        json.put("rms_norm_eps", c.rmsNormEps());
        json.putNull("rope_scaling");
        json.put("rope_theta", c.ropeTheta());
        json.put("tie_word_embeddings", c.tieWordEmbeddings());
        json.put("torch_dtype", c.torchDtype());
        json.put("use_cache", true);
        json.put("vocab_size", c.vocabSize());
        return HuggingFaceJson.pythonStyle(json);
    }

    /** The source as a path for {@link AdapterFormatException}; characters a path cannot hold become {@code _}. */
    private static Path sourcePath(String source) {
        String text = source == null || source.isBlank() ? "config.json" : source;
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            return Path.of(text.replaceAll("[^A-Za-z0-9._/ -]", "_"));
        }
    }

    private LlamaConfig read(String text) throws IOException {
        JsonNode root;
        try {
            root = HuggingFaceJson.read(text);
        } catch (JsonProcessingException e) {
            throw bad("<json>", "a JSON object", "text that is not valid JSON (" + e.getOriginalMessage() + ")",
                    "re-download config.json; it is damaged", e);
        }
        if (root == null || !root.isObject()) {
            throw bad("<json>", "a JSON object", root == null ? "nothing" : describe(root),
                    "re-download config.json; it is damaged");
        }
        checkModelType(root);
        checkArchitectures(root);
        checkUnsupported(root);
        double ropeTheta = ropeTheta(root);
        int hidden = requiredInt(root, "hidden_size");
        int heads = requiredInt(root, "num_attention_heads");
        Integer kvHeads = optionalInt(root, "num_key_value_heads");
        Integer headDim = optionalInt(root, "head_dim");
        if (headDim == null && heads > 0 && hidden % heads != 0) {
            throw bad("head_dim", "head_dim given when hidden_size is not a multiple of num_attention_heads",
                    "hidden_size " + hidden + ", num_attention_heads " + heads + " and no head_dim",
                    "add \"head_dim\" to config.json");
        }
        try {
            return new LlamaConfig(requiredInt(root, "vocab_size"), hidden, requiredInt(root, "intermediate_size"),
                    requiredInt(root, "num_hidden_layers"), heads, kvHeads == null ? heads : kvHeads,
                    headDim == null ? (heads > 0 ? hidden / heads : 0) : headDim,
                    intOr(root, "max_position_embeddings", 2048), floatOr(root, "rms_norm_eps", 1e-6f), ropeTheta,
                    boolOr(root, "tie_word_embeddings", false), boolOr(root, "attention_bias", false),
                    boolOr(root, "mlp_bias", false), floatOr(root, "attention_dropout", 0f),
                    stringOr(root, "hidden_act", LlamaConfig.SILU), tokenId(root, "bos_token_id", 1), eosTokenIds(root),
                    tokenId(root, "pad_token_id", null), floatOr(root, "initializer_range", 0.02f),
                    torchDtype(root));
        } catch (LlamaConfig.InvalidField e) {
            throw bad(e.field, "a value a Llama model can have", e.getMessage(), "fix config.json");
        }
    }

    private void checkModelType(JsonNode root) throws AdapterFormatException {
        JsonNode type = root.get("model_type");
        if (type == null) {
            throw bad("model_type", "\"model_type\": \"llama\"", "no model_type field",
                    "this does not look like a Hugging Face config.json; add \"model_type\": \"llama\" only "
                    + "if the model really is a Llama");
        }
        if (!type.isTextual() || !LlamaConfig.MODEL_TYPE.equals(type.textValue())) {
            throw bad("model_type", "\"llama\" (peft4j implements LlamaForCausalLM only)", describe(type),
                    "use a Llama checkpoint; other architectures (mistral, qwen2, gemma, ...) differ in ways "
                    + "this model does not implement");
        }
    }

    /** A head other than the causal LM one has other weights (e.g. {@code score}); refuse it up front. */
    private void checkArchitectures(JsonNode root) throws AdapterFormatException {
        JsonNode archs = root.get("architectures");
        if (archs == null || archs.isNull()) {
            return;
        }
        if (!archs.isArray()) {
            throw bad("architectures", "a list of class names", describe(archs), RESAVE);
        }
        for (JsonNode a : archs) {
            if (!a.isTextual()) {
                throw bad("architectures", "a list of class names", describe(archs), RESAVE);
            }
            if (a.textValue().equalsIgnoreCase(LlamaConfig.ARCHITECTURE)) { // also the early "LLaMAForCausalLM"
                return;
            }
        }
        throw bad("architectures", "[\"" + LlamaConfig.ARCHITECTURE + "\"]", describe(archs),
                "use a causal language model checkpoint; other heads have other weights");
    }

    private void checkUnsupported(JsonNode root) throws AdapterFormatException {
        JsonNode hiddenAct = root.get("hidden_act");
        if (hiddenAct != null && !(hiddenAct.isTextual() && LlamaConfig.SILU.equals(hiddenAct.textValue()))) {
            throw bad("hidden_act", "\"silu\" (Llama's SwiGLU MLP is the only one implemented)",
                    describe(hiddenAct), "use a Llama checkpoint with hidden_act \"silu\"");
        }
        JsonNode quantization = root.get("quantization_config");
        if (quantization != null && !quantization.isNull()) {
            throw bad("quantization_config", "no quantization_config (weights in F32, F16 or BF16)",
                    describe(quantization), "use the unquantized checkpoint; GPTQ/AWQ/bitsandbytes weights are "
                    + "packed integers peft4j cannot read");
        }
        JsonNode tp = root.get("pretraining_tp");
        if (tp != null && !(tp.isIntegralNumber() && tp.canConvertToInt() && tp.intValue() >= 1)) {
            throw bad("pretraining_tp", "an integer >= 1", describe(tp), RESAVE);
        }
        JsonNode scaling = root.get("rope_scaling");
        if (scaling != null && !scaling.isNull()) {
            checkDefaultRope("rope_scaling", scaling);
        }
    }

    /**
     * {@code rope_theta}, or since {@code transformers} v5 {@code rope_parameters.rope_theta}; 10000 when neither
     * is given (Llama 1 configs).
     */
    private double ropeTheta(JsonNode root) throws AdapterFormatException {
        double theta = doubleOr(root, "rope_theta", 10000.0);
        JsonNode parameters = root.get("rope_parameters");
        if (parameters == null || parameters.isNull()) {
            return theta;
        }
        checkDefaultRope("rope_parameters", parameters);
        JsonNode nested = parameters.get("rope_theta");
        if (nested == null || nested.isNull()) {
            return theta;
        }
        if (!nested.isNumber()) {
            throw bad("rope_parameters.rope_theta", "a number", describe(nested), RESAVE);
        }
        JsonNode top = root.get("rope_theta");
        if (top != null && !top.isNull() && top.doubleValue() != nested.doubleValue()) {
            throw bad("rope_parameters.rope_theta", "the same value as rope_theta " + top.doubleValue(),
                    describe(nested), "keep one rope_theta in config.json");
        }
        return nested.doubleValue();
    }

    /** Only the unscaled rotary embedding is implemented: {@code rope_type} (or the older {@code type}) default. */
    private void checkDefaultRope(String field, JsonNode node) throws AdapterFormatException {
        if (!node.isObject()) {
            throw bad(field, "null or an object", describe(node), RESAVE);
        }
        JsonNode type = node.has("rope_type") ? node.get("rope_type") : node.get("type");
        if (type == null || !type.isTextual() || !"default".equals(type.textValue())) {
            throw bad(field, "null or {\"rope_type\": \"default\"} (plain RoPE, the only kind implemented)",
                    describe(node), "use a model without RoPE scaling (linear, dynamic, yarn, llama3, longrope "
                    + "are not implemented; Llama 3.1+ uses llama3)");
        }
    }

    private int requiredInt(JsonNode root, String key) throws AdapterFormatException {
        JsonNode node = root.get(key);
        if (node == null) {
            throw bad(key, "an integer", "no such field", "add \"" + key + "\" to config.json; peft4j does "
                    + "not guess the sizes of a model");
        }
        return asInt(key, node);
    }

    /** An integer, or null when the field is absent or null ({@code transformers} then derives it). */
    private Integer optionalInt(JsonNode root, String key) throws AdapterFormatException {
        JsonNode node = root.get(key);
        return node == null || node.isNull() ? null : asInt(key, node);
    }

    private int intOr(JsonNode root, String key, int absent) throws AdapterFormatException {
        JsonNode node = root.get(key);
        return node == null ? absent : asInt(key, node);
    }

    private int asInt(String key, JsonNode node) throws AdapterFormatException {
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw bad(key, "an integer", describe(node), RESAVE);
        }
        return node.intValue();
    }

    private double doubleOr(JsonNode root, String key, double absent) throws AdapterFormatException {
        JsonNode node = root.get(key);
        if (node == null) {
            return absent;
        }
        if (!node.isNumber()) {
            throw bad(key, "a number", describe(node), RESAVE);
        }
        return node.doubleValue();
    }

    private float floatOr(JsonNode root, String key, float absent) throws AdapterFormatException {
        return (float) doubleOr(root, key, absent);
    }

    private boolean boolOr(JsonNode root, String key, boolean absent) throws AdapterFormatException {
        JsonNode node = root.get(key);
        if (node == null) {
            return absent;
        }
        if (!node.isBoolean()) {
            throw bad(key, "true or false", describe(node), RESAVE);
        }
        return node.booleanValue();
    }

    private String stringOr(JsonNode root, String key, String absent) throws AdapterFormatException {
        JsonNode node = root.get(key);
        if (node == null) {
            return absent;
        }
        if (!node.isTextual()) {
            throw bad(key, "a string", describe(node), RESAVE);
        }
        return node.textValue();
    }

    /** A token id, null when the field is null, {@code absent} when it is missing. */
    private Integer tokenId(JsonNode root, String key, Integer absent) throws AdapterFormatException {
        JsonNode node = root.get(key);
        if (node == null) {
            return absent;
        }
        return node.isNull() ? null : asInt(key, node);
    }

    /** One id or a list of ids (Llama 3 instruct stops on several); {@code [2]} when missing, none when null. */
    private List<Integer> eosTokenIds(JsonNode root) throws AdapterFormatException {
        JsonNode node = root.get("eos_token_id");
        if (node == null) {
            return List.of(2);
        }
        if (node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            return List.of(asInt("eos_token_id", node));
        }
        List<Integer> ids = new ArrayList<>();
        for (JsonNode id : node) {
            if (!id.isIntegralNumber() || !id.canConvertToInt()) {
                throw bad("eos_token_id", "an integer or a list of integers", describe(node), RESAVE);
            }
            ids.add(id.intValue());
        }
        return ids;
    }

    /** {@code torch_dtype}, or {@code dtype} as {@code transformers} v5 names it; informational only. */
    private String torchDtype(JsonNode root) throws AdapterFormatException {
        String key = root.has("torch_dtype") ? "torch_dtype" : "dtype";
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw bad(key, "a dtype name such as \"bfloat16\"", describe(node), RESAVE);
        }
        return node.textValue();
    }

    private AdapterFormatException bad(String key, String expected, String found, String fix) {
        return new AdapterFormatException(file, key, expected, found, fix);
    }

    private AdapterFormatException bad(String key, String expected, String found, String fix, Throwable cause) {
        return new AdapterFormatException(file, key, expected, found, fix, cause);
    }

    private static String describe(JsonNode node) {
        String text = node.toString();
        String kind = node.getNodeType().toString().toLowerCase(Locale.ROOT);
        if (node.isNumber()) {
            kind = node.isIntegralNumber() ? "integer" : "number";
        }
        return kind + " " + (text.length() <= 80 ? text : text.substring(0, 80) + "...");
    }
}
