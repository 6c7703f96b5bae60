package dev.peft4j.models.llama;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The shape of a Llama decoder as Hugging Face's {@code LlamaConfig} describes it in {@code config.json}, limited to
 * what {@code LlamaForCausalLM} with plain RoPE reads.
 *
 * <p>{@link #fromJson} is strict where a silent misreading would give a different model: a {@code model_type} other
 * than {@code llama}, RoPE scaling, an activation other than SiLU, quantized weights, another head
 * ({@code architectures}), or a value of the wrong JSON type are errors naming the field, the value found and what
 * is supported. Fields that do not change the forward pass ({@code transformers_version}, {@code use_cache},
 * {@code _name_or_path}, generation settings, ...) are ignored, as {@code transformers} ignores them.
 *
 * <p>{@code pretraining_tp} is accepted whatever its (positive) value: older {@code transformers} used it only to
 * split each projection into that many slices, multiply each and concatenate or sum the results, which is the same
 * linear map up to floating-point summation order, and current {@code transformers} no longer reads it at all.
 *
 * @param vocabSize rows of the token embedding (and of {@code lm_head})
 * @param hiddenSize width of the residual stream
 * @param intermediateSize width of the SwiGLU MLP ({@code gate_proj} / {@code up_proj} outputs)
 * @param numHiddenLayers decoder layers
 * @param numAttentionHeads query heads
 * @param numKeyValueHeads key/value heads (grouped-query attention); divides {@code numAttentionHeads}
 * @param headDim width of one head; even, since RoPE rotates pairs; need not be {@code hiddenSize / heads}
 * @param maxPositionEmbeddings longest sequence (prompt plus generated tokens) the RoPE tables cover
 * @param rmsNormEps epsilon of every RMSNorm
 * @param ropeTheta RoPE base period
 * @param tieWordEmbeddings whether {@code lm_head} reuses {@code embed_tokens} (then the checkpoint has no head)
 * @param attentionBias whether q/k/v/o projections have biases
 * @param mlpBias whether gate/up/down projections have biases
 * @param attentionDropout dropout on attention probabilities, training only
 * @param hiddenAct the MLP activation; always {@code "silu"}
 * @param bosTokenId beginning-of-sequence id, or null when the model has none
 * @param eosTokenIds end-of-sequence ids (Llama 3 instruct models have several); may be empty
 * @param padTokenId padding id (its embedding row starts at zero), or null
 * @param initializerRange standard deviation of the random initialisation
 * @param torchDtype the dtype the checkpoint was saved in ({@code "bfloat16"}, ...), informational, or null
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
        int numAttentionHeads, int numKeyValueHeads, int headDim, int maxPositionEmbeddings, float rmsNormEps,
        double ropeTheta, boolean tieWordEmbeddings, boolean attentionBias, boolean mlpBias, float attentionDropout,
        String hiddenAct, Integer bosTokenId, List<Integer> eosTokenIds, Integer padTokenId, float initializerRange,
        String torchDtype) {

    /** The file beside the weights. */
    public static final String FILE = "config.json";
    /** The only activation Llama uses. */
    public static final String SILU = "silu";
    static final String MODEL_TYPE = "llama";
    static final String ARCHITECTURE = "LlamaForCausalLM";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Python's {@code json.dumps(indent=2)} layout: two-space indent, {@code "key": value}, one item a line. */
    private static final ObjectWriter PYTHON_STYLE = JSON.writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    /** A constructor check that failed, with the {@code config.json} field it is about. */
    static final class InvalidField extends IllegalArgumentException {

        private static final long serialVersionUID = 1L;
        final String field;

        InvalidField(String field, String message) {
            super(message);
            this.field = field;
        }
    }

    public LlamaConfig {
        requirePositive("vocab_size", vocabSize);
        requirePositive("hidden_size", hiddenSize);
        requirePositive("intermediate_size", intermediateSize);
        requirePositive("num_hidden_layers", numHiddenLayers);
        requirePositive("num_attention_heads", numAttentionHeads);
        requirePositive("num_key_value_heads", numKeyValueHeads);
        requirePositive("head_dim", headDim);
        requirePositive("max_position_embeddings", maxPositionEmbeddings);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new InvalidField("num_key_value_heads", "num_key_value_heads " + numKeyValueHeads
                    + " does not divide num_attention_heads " + numAttentionHeads + "; each key/value head serves "
                    + "a whole group of query heads, so pick a divisor of " + numAttentionHeads);
        }
        if (headDim % 2 != 0) {
            throw new InvalidField("head_dim", "head_dim must be even for rotary position embeddings (they rotate "
                    + "pairs of dimensions), found " + headDim);
        }
        if (!(rmsNormEps > 0f) || Float.isInfinite(rmsNormEps)) {
            throw new InvalidField("rms_norm_eps", "rms_norm_eps must be a finite number > 0, found " + rmsNormEps);
        }
        if (!(ropeTheta > 0.0) || Double.isInfinite(ropeTheta)) {
            throw new InvalidField("rope_theta", "rope_theta must be a finite number > 0, found " + ropeTheta);
        }
        if (!(attentionDropout >= 0f && attentionDropout < 1f)) {
            throw new InvalidField("attention_dropout", "attention_dropout must be in [0, 1), found "
                    + attentionDropout);
        }
        if (!(initializerRange >= 0f) || Float.isInfinite(initializerRange)) {
            throw new InvalidField("initializer_range", "initializer_range must be a finite number >= 0, found "
                    + initializerRange);
        }
        if (!SILU.equals(hiddenAct)) {
            throw new InvalidField("hidden_act", "hidden_act must be \"silu\" (Llama's SwiGLU MLP), found "
                    + (hiddenAct == null ? "null" : "\"" + hiddenAct + "\""));
        }
        Objects.requireNonNull(eosTokenIds, "eosTokenIds (use an empty list for none)");
        eosTokenIds = List.copyOf(eosTokenIds); // also refuses null elements
        requireTokenId("bos_token_id", bosTokenId, vocabSize);
        for (Integer id : eosTokenIds) {
            requireTokenId("eos_token_id", id, vocabSize);
        }
        requireTokenId("pad_token_id", padTokenId, vocabSize);
    }

    /**
     * The unit tests' model: vocabulary 64, hidden 32, MLP 48, 2 layers, 4 query heads sharing 2 key/value heads
     * (so grouped-query attention is exercised) of width 8, 64 positions, tied embeddings, eps 1e-6.
     */
    public static LlamaConfig tiny() {
        return new LlamaConfig(64, 32, 48, 2, 4, 2, 8, 64, 1e-6f, 10000.0, true, false, false, 0f, SILU, 1, List.of(2),
                null, 0.02f, "float32");
    }

    /** Query heads per key/value head. */
    public int numKeyValueGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Output width of {@code q_proj} (input width of {@code o_proj}): heads x head_dim. */
    public int queryDim() {
        return numAttentionHeads * headDim;
    }

    /** Output width of {@code k_proj} and {@code v_proj}: key/value heads x head_dim. */
    public int keyValueDim() {
        return numKeyValueHeads * headDim;
    }

    /** The same model with or without a separate {@code lm_head}. */
    public LlamaConfig withTieWordEmbeddings(boolean tie) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tie, attentionBias, mlpBias,
                attentionDropout, hiddenAct, bosTokenId, eosTokenIds, padTokenId, initializerRange, torchDtype);
    }

    /** The same model with or without biases on the attention and MLP projections. */
    public LlamaConfig withBiases(boolean attention, boolean mlp) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tieWordEmbeddings, attention,
                mlp, attentionDropout, hiddenAct, bosTokenId, eosTokenIds, padTokenId, initializerRange, torchDtype);
    }

    /** The same model with another padding id (null for none). */
    public LlamaConfig withPadTokenId(Integer pad) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tieWordEmbeddings,
                attentionBias, mlpBias, attentionDropout, hiddenAct, bosTokenId, eosTokenIds, pad, initializerRange,
                torchDtype);
    }

    /**
     * The {@code config.json} text {@code transformers} writes for this model: keys sorted, every field above under
     * its Hugging Face name, {@code architectures ["LlamaForCausalLM"]}, {@code rope_scaling null}, one eos id as a
     * number and several as a list.
     */
    public String toJson() {
        ObjectNode json = JSON.createObjectNode();
        json.putArray("architectures").add(ARCHITECTURE);
        json.put("attention_bias", attentionBias);
        json.put("attention_dropout", attentionDropout);
        json.put("bos_token_id", bosTokenId);
        if (eosTokenIds.isEmpty()) {
            json.putNull("eos_token_id");
        } else if (eosTokenIds.size() == 1) {
            json.put("eos_token_id", eosTokenIds.get(0));
        } else {
            ArrayNode eos = json.putArray("eos_token_id");
            eosTokenIds.forEach(eos::add);
        }
        json.put("head_dim", headDim);
        json.put("hidden_act", hiddenAct);
        json.put("hidden_size", hiddenSize);
        json.put("initializer_range", initializerRange);
        json.put("intermediate_size", intermediateSize);
        json.put("max_position_embeddings", maxPositionEmbeddings);
        json.put("mlp_bias", mlpBias);
        json.put("model_type", MODEL_TYPE);
        json.put("num_attention_heads", numAttentionHeads);
        json.put("num_hidden_layers", numHiddenLayers);
        json.put("num_key_value_heads", numKeyValueHeads);
        json.put("pad_token_id", padTokenId);
        json.put("pretraining_tp", 1);
        json.put("rms_norm_eps", rmsNormEps);
        json.putNull("rope_scaling");
        json.put("rope_theta", ropeTheta);
        json.put("tie_word_embeddings", tieWordEmbeddings);
        json.put("torch_dtype", torchDtype);
        json.put("use_cache", true);
        json.put("vocab_size", vocabSize);
        return pythonStyle(json);
    }

    /** The tree as {@code transformers} lays out its JSON files (keys in the tree's order), ending in a newline. */
    static String pythonStyle(JsonNode tree) {
        try {
            return PYTHON_STYLE.writeValueAsString(tree) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: a tree of plain values always serialises", e);
        }
    }

    /** Atomically writes {@code dir/config.json} (see {@link #toJson}), creating {@code dir} if needed. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(FILE), toJson());
    }

    /** Reads {@code dir/config.json}; see {@link #fromJson} for what is refused. */
    public static LlamaConfig load(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("No " + FILE + " in " + dir + ": expected a Hugging Face Llama model directory "
                    + "(config.json with model.safetensors or model.safetensors.index.json), e.g. one written by "
                    + "LlamaModel.save or save_pretrained");
        }
        return fromJson(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /**
     * Parses the text of a {@code config.json}. Every problem is an {@link AdapterFormatException} whose
     * {@code key()} is the JSON field at fault and whose message starts with {@code sourceForMessages} (the file's
     * path, or a description when the text came from elsewhere).
     */
    public static LlamaConfig fromJson(String json, String sourceForMessages) throws IOException {
        return new Reader(JSON, sourcePath(sourceForMessages)).read(json);
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

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new InvalidField(name, name + " must be > 0, found " + value);
        }
    }

    private static void requireTokenId(String name, Integer id, int vocabSize) {
        if (id != null && (id < 0 || id >= vocabSize)) {
            throw new InvalidField(name, name + " must be a token id in [0, vocab_size " + vocabSize + "), found "
                    + id);
        }
    }

    /**
     * Turns the JSON tree of one {@code config.json} into a {@link LlamaConfig}, field by field, with Hugging Face's
     * defaults where {@code transformers} has them and an error naming the field for everything it cannot take.
     */
    private static final class Reader {

        private static final String RESAVE = "fix config.json, or re-save the model with LlamaModel.save";

        private final ObjectMapper mapper;
        private final Path file;

        Reader(ObjectMapper mapper, Path file) {
            this.mapper = mapper;
            this.file = file;
        }

        LlamaConfig read(String text) throws IOException {
            JsonNode root;
            try {
                root = mapper.readTree(text);
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
                        stringOr(root, "hidden_act", SILU), tokenId(root, "bos_token_id", 1), eosTokenIds(root),
                        tokenId(root, "pad_token_id", null), floatOr(root, "initializer_range", 0.02f),
                        torchDtype(root));
            } catch (InvalidField e) {
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
            if (!type.isTextual() || !MODEL_TYPE.equals(type.textValue())) {
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
                if (a.textValue().equalsIgnoreCase(ARCHITECTURE)) { // also the early "LLaMAForCausalLM"
                    return;
                }
            }
            throw bad("architectures", "[\"" + ARCHITECTURE + "\"]", describe(archs),
                    "use a causal language model checkpoint; other heads have other weights");
        }

        private void checkUnsupported(JsonNode root) throws AdapterFormatException {
            JsonNode hiddenAct = root.get("hidden_act");
            if (hiddenAct != null && !(hiddenAct.isTextual() && SILU.equals(hiddenAct.textValue()))) {
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
}
