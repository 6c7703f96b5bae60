package dev.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameters of {@code LlamaForCausalLM} under Hugging Face's state-dict names, and the ways to fill them: at
 * random from a seed, or from a checkpoint directory as {@code save_pretrained} writes it ({@code model.safetensors},
 * or shards listed by {@code model.safetensors.index.json}); and the way back, in F32, F16 or BF16.
 *
 * <p>Loading is strict, because a checkpoint that does not match {@code config.json} would otherwise run and give
 * wrong text: a missing, unexpected, mis-shaped, non-floating or non-finite tensor, or an index naming a shard that
 * is missing or lacks the tensor, is an {@link AdapterFormatException} naming the file, the key, what was expected
 * and what was found. Two things real checkpoints carry are tolerated, as {@code transformers} tolerates them:
 * {@code model.layers.N.self_attn.rotary_emb.inv_freq} (a RoPE buffer older exports saved; recomputed from
 * {@code rope_theta}, so it is ignored whatever its contents) and {@code lm_head.weight} in a tied checkpoint, which
 * is dropped when it equals {@code model.embed_tokens.weight} and refused when it differs, since then the file
 * holds a head that tying would silently replace (set {@code tie_word_embeddings false} to use it).
 *
 * <p>All tensors become FLOAT32 arrays, one at a time, from memory-mapped files, so a checkpoint larger than the
 * Java heap's largest array or than 2 GiB loads as long as its tensors fit in memory once.
 */
public final class LlamaWeights {

    /** The single-file checkpoint. */
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** The index of a sharded checkpoint. */
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** The dtypes {@link #save} writes. */
    public static final List<String> SAVE_DTYPES = List.of("F32", "F16", "BF16");
    /** {@code transformers}' default shard limit ({@code max_shard_size="5GB"}). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    static final String EMBEDDINGS = "model.embed_tokens.weight";
    static final String FINAL_NORM = "model.norm.weight";
    static final String LM_HEAD = "lm_head.weight";
    static final String[] ATTENTION = {"q_proj", "k_proj", "v_proj", "o_proj"};
    static final String[] MLP = {"gate_proj", "up_proj", "down_proj"};

    private static final Pattern INV_FREQ =
            Pattern.compile("model\\.layers\\.(\\d{1,9})\\.self_attn\\.rotary_emb\\.inv_freq");
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d{1,9})\\..*");
    private static final Pattern SHARD = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");
    private static final Map<String, String> METADATA = Map.of("format", "pt");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Smallest magnitude F16 rounds to infinity (half-way above 65504, ties to the even infinity). */
    private static final float F16_OVERFLOW = 65520f;
    /** Smallest magnitude BF16 rounds to infinity. */
    private static final float BF16_OVERFLOW = Float.intBitsToFloat(0x7F7F8000);

    private LlamaWeights() {
    }

    /**
     * Every parameter with its shape, named and ordered as {@code LlamaForCausalLM.state_dict()}: the embedding; per
     * layer q/k/v/o projections (with biases when {@code attention_bias}), gate/up/down (biases when
     * {@code mlp_bias}), the two RMSNorms; the final norm; {@code lm_head.weight} only when not tied. Linear weights
     * are {@code [out, in]}. No rotary buffers: {@code transformers} registers {@code inv_freq} non-persistent.
     */
    public static Map<String, long[]> shapes(LlamaConfig c) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long f = c.intermediateSize();
        long[][] attentionOutIn = {{c.queryDim(), h}, {c.keyValueDim(), h}, {c.keyValueDim(), h}, {h, c.queryDim()}};
        long[][] mlpOutIn = {{f, h}, {f, h}, {h, f}};
        shapes.put(EMBEDDINGS, new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            linears(shapes, p + "self_attn.", ATTENTION, attentionOutIn, c.attentionBias());
            linears(shapes, p + "mlp.", MLP, mlpOutIn, c.mlpBias());
            shapes.put(p + "input_layernorm.weight", new long[] {h});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {h});
        }
        shapes.put(FINAL_NORM, new long[] {h});
        if (!c.tieWordEmbeddings()) {
            shapes.put(LM_HEAD, new long[] {c.vocabSize(), h});
        }
        return shapes;
    }

    private static void linears(Map<String, long[]> shapes, String prefix, String[] names, long[][] outIn,
            boolean bias) {
        for (int k = 0; k < names.length; k++) {
            shapes.put(prefix + names[k] + ".weight", outIn[k].clone());
            if (bias) {
                shapes.put(prefix + names[k] + ".bias", new long[] {outIn[k][0]});
            }
        }
    }

    /** The number of parameters (a tied head counted once), e.g. 6,738,415,616 for Llama-2-7B. */
    public static long parameterCount(LlamaConfig c) {
        long total = 0;
        for (long[] shape : shapes(c).values()) {
            total = Math.addExact(total, elements(shape));
        }
        return total;
    }

    /**
     * Hugging Face's {@code _init_weights}: linear and embedding weights N(0, initializer_range), the padding row of
     * the embedding zero, biases zero, RMSNorm weights one. Drawn from a {@link java.util.Random} in state-dict
     * order, so a seed gives the same bits on every machine and engine.
     */
    public static Map<String, NDArray> random(LlamaConfig c, long seed, NDManager manager) {
        Random random = new Random(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(c).entrySet()) {
            String name = e.getKey();
            Shape shape = new Shape(e.getValue());
            if (name.endsWith("layernorm.weight") || name.equals(FINAL_NORM)) {
                params.put(name, manager.ones(shape));
            } else if (name.endsWith(".bias")) {
                params.put(name, manager.zeros(shape));
            } else {
                float[] values = new float[Math.toIntExact(shape.size())];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) random.nextGaussian() * c.initializerRange();
                }
                if (name.equals(EMBEDDINGS) && c.padTokenId() != null) {
                    Arrays.fill(values, c.padTokenId() * c.hiddenSize(), (c.padTokenId() + 1) * c.hiddenSize(), 0f);
                }
                params.put(name, manager.create(values, shape));
            }
        }
        return params;
    }

    // ------------------------------------------------------------------------------------------------- loading

    /** One tensor of a checkpoint and the file it lies in (for messages). */
    private record Located(Path file, TensorData data) {
    }

    /** Every tensor of a checkpoint by name; {@code source} is the file that lists them (the index or the file). */
    private record Checkpoint(Path source, Map<String, Located> tensors) {
    }

    /**
     * Reads {@code dir/model.safetensors}, or else the shards {@code dir/model.safetensors.index.json} lists, into
     * FLOAT32 arrays created in {@code manager}, checked against {@link #shapes} (see the class comment). When both
     * forms are present the single file wins, as in {@code transformers}; {@link #saveSharded} relies on that to
     * leave a loadable directory at every instant.
     */
    public static Map<String, NDArray> load(Path dir, LlamaConfig c, NDManager manager) throws IOException {
        return convert(locate(dir), c, manager);
    }

    private static Checkpoint locate(Path dir) throws IOException {
        Path single = dir.resolve(WEIGHTS_FILE);
        if (Files.isRegularFile(single)) {
            Map<String, Located> tensors = new LinkedHashMap<>();
            SafeTensors.read(single).tensors().forEach((k, t) -> tensors.put(k, new Located(single, t)));
            return new Checkpoint(single, tensors);
        }
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return readIndex(dir, index);
        }
        String other = Files.isRegularFile(dir.resolve("pytorch_model.bin"))
                || Files.isRegularFile(dir.resolve("pytorch_model.bin.index.json"))
                ? " It has PyTorch pickle weights (pytorch_model.bin), which peft4j does not execute; convert them "
                        + "to safetensors (save_pretrained(..., safe_serialization=True))." : "";
        throw new IOException("No Llama weights in " + dir + ": looked for " + WEIGHTS_FILE + " and " + INDEX_FILE
                + " (a sharded checkpoint), found neither." + other);
    }

    /** The sharded form: {@code {"metadata": {...}, "weight_map": {"key": "model-00001-of-00002.safetensors"}}}. */
    private static Checkpoint readIndex(Path dir, Path index) throws IOException {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(index, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new AdapterFormatException(index, "<json>", "a JSON object", "invalid JSON ("
                    + e.getOriginalMessage() + ")", "re-download the index; it is damaged", e);
        }
        JsonNode map = root == null || !root.isObject() ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new AdapterFormatException(index, "weight_map", "an object mapping each tensor to its shard file",
                    map == null ? "no weight_map" : snippet(map), "re-download the index; it is damaged");
        }
        JsonNode metadata = root.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw new AdapterFormatException(index, "metadata", "an object (such as {\"total_size\": N})",
                    snippet(metadata), "re-download the index; it is damaged");
        }
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            JsonNode shard = e.getValue();
            if (!shard.isTextual() || !isPlainFileName(shard.textValue())) {
                throw new AdapterFormatException(index, e.getKey(), "the file name of a shard in " + dir,
                        snippet(shard), "the index may only name files beside it; re-download it");
            }
            byShard.computeIfAbsent(shard.textValue(), s -> new ArrayList<>()).add(e.getKey());
        }
        for (Map.Entry<String, List<String>> e : byShard.entrySet()) { // all present before any is read
            if (!Files.isRegularFile(dir.resolve(e.getKey()))) {
                throw new AdapterFormatException(index, e.getValue().get(0), "its shard " + e.getKey() + " in " + dir,
                        "no such file (" + e.getValue().size() + " tensors are listed in it)",
                        "download every one of the " + byShard.size() + " shards the index lists");
            }
        }
        Map<String, Located> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Map<String, TensorData> inShard = SafeTensors.read(file).tensors();
            Set<String> listed = Set.copyOf(e.getValue());
            for (String key : e.getValue()) {
                TensorData t = inShard.get(key);
                if (t == null) {
                    throw new AdapterFormatException(file, key, "the tensor, which " + INDEX_FILE + " places in "
                            + "this shard", "no such tensor (the shard has " + inShard.size() + ")",
                            "the index and the shards come from different saves; re-download them together");
                }
                tensors.put(key, new Located(file, t));
            }
            for (Map.Entry<String, TensorData> t : inShard.entrySet()) {
                if (!listed.contains(t.getKey()) && !isIgnoredBuffer(t.getKey(), Integer.MAX_VALUE)) {
                    throw new AdapterFormatException(file, t.getKey(), "only the tensors " + INDEX_FILE
                            + " places in this shard", "a tensor the index "
                            + (map.has(t.getKey()) ? "places in " + map.get(t.getKey()).textValue() : "does not list"),
                            "the index and the shards come from different saves; re-download them together");
                }
            }
        }
        return new Checkpoint(index, tensors);
    }

    private static boolean isPlainFileName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\\') < 0 && name.indexOf(':') < 0 && name.indexOf('\0') < 0;
    }

    /** {@code inv_freq} of an existing layer: a non-persistent RoPE buffer some exports still contain. */
    private static boolean isIgnoredBuffer(String key, int layers) {
        Matcher m = INV_FREQ.matcher(key);
        return m.matches() && Integer.parseInt(m.group(1)) < layers;
    }

    private static Map<String, NDArray> convert(Checkpoint checkpoint, LlamaConfig c, NDManager manager)
            throws IOException {
        Map<String, long[]> expected = shapes(c);
        Map<String, Located> found = checkpoint.tensors();
        List<String> unexpected = new ArrayList<>();
        for (String key : found.keySet()) {
            boolean tiedHead = key.equals(LM_HEAD) && c.tieWordEmbeddings();
            if (!expected.containsKey(key) && !tiedHead && !isIgnoredBuffer(key, c.numHiddenLayers())) {
                unexpected.add(key);
            }
        }
        if (!unexpected.isEmpty()) {
            String first = unexpected.get(0);
            throw new AdapterFormatException(found.get(first).file(), first, "only the " + expected.size()
                    + " tensors of LlamaForCausalLM with this config.json", unexpected.size() + " unexpected tensor"
                    + (unexpected.size() == 1 ? "" : "s") + " " + preview(unexpected), unexpectedHint(first, c));
        }
        List<String> missing = new ArrayList<>();
        for (String key : expected.keySet()) {
            if (!found.containsKey(key)) {
                missing.add(key);
            }
        }
        if (!missing.isEmpty()) {
            String first = missing.get(0);
            throw new AdapterFormatException(checkpoint.source(), first, "a tensor of shape "
                    + Arrays.toString(expected.get(first)) + " (config.json: " + describe(c) + ")", "no such tensor (" + missing.size() + " missing: "
                    + preview(missing) + ")", missingHint(first, c));
        }
        Map<String, NDArray> params = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                float[] values = floats(e.getKey(), found.get(e.getKey()), e.getValue(), c);
                if (e.getKey().equals(EMBEDDINGS) && found.containsKey(LM_HEAD) && c.tieWordEmbeddings()) {
                    checkTiedHead(values, found.get(LM_HEAD), e.getValue(), c);
                }
                params.put(e.getKey(), manager.create(values, new Shape(e.getValue())));
            }
        } catch (IOException | RuntimeException e) {
            params.values().forEach(NDArray::close);
            throw e;
        }
        return params;
    }

    /** The tensor's values as floats, after checking its shape, dtype and finiteness. */
    private static float[] floats(String key, Located t, long[] shape, LlamaConfig c) throws IOException {
        if (!Arrays.equals(t.data().shape(), shape)) {
            throw new AdapterFormatException(t.file(), key, "shape " + Arrays.toString(shape) + " (from config.json: "
                    + describe(c) + ")", "shape " + Arrays.toString(t.data().shape()),
                    "check that config.json belongs to these weights");
        }
        String dtype = t.data().dtype();
        if (!dtype.equals("F32") && !dtype.equals("F16") && !dtype.equals("BF16") && !dtype.equals("F64")) {
            throw new AdapterFormatException(t.file(), key, "a floating-point tensor (F32, F16, BF16 or F64)",
                    "dtype " + dtype, "use an unquantized checkpoint");
        }
        float[] values = t.data().asFloats();
        int bad = TensorData.firstNonFinite(values);
        if (bad >= 0) {
            throw new AdapterFormatException(t.file(), key, "finite values", values[bad] + " at flat index " + bad,
                    "the checkpoint is damaged or comes from a diverged run; re-download or re-train it");
        }
        return values;
    }

    /** A tied checkpoint may still carry the head; accept it only if it is the embedding, bit for bit as floats. */
    private static void checkTiedHead(float[] embedding, Located head, long[] shape, LlamaConfig c)
            throws IOException {
        float[] values = floats(LM_HEAD, head, shape, c);
        for (int i = 0; i < values.length; i++) {
            if (Float.floatToIntBits(values[i]) != Float.floatToIntBits(embedding[i])) {
                throw new AdapterFormatException(head.file(), LM_HEAD, "no lm_head.weight, or one equal to "
                        + EMBEDDINGS + ", since config.json has tie_word_embeddings true",
                        "an lm_head.weight that differs from the embedding (flat index " + i + ": " + values[i]
                                + " vs " + embedding[i] + ")", "if the model has its own head, set "
                                + "\"tie_word_embeddings\": false in config.json; otherwise drop lm_head.weight");
            }
        }
    }

    private static String unexpectedHint(String key, LlamaConfig c) {
        Matcher layer = LAYER.matcher(key);
        if (layer.matches() && Long.parseLong(layer.group(1)) >= c.numHiddenLayers()) {
            return "config.json says num_hidden_layers " + c.numHiddenLayers() + " but the checkpoint has more "
                    + "layers; use the config.json that came with these weights";
        }
        if (key.endsWith(".bias")) {
            return "config.json says attention_bias " + c.attentionBias() + " and mlp_bias " + c.mlpBias()
                    + "; use the config.json that came with these weights";
        }
        if (!key.startsWith("model.")) {
            return "keys of LlamaForCausalLM start with \"model.\" (a bare LlamaModel or another architecture "
                    + "saved these weights); save the causal LM with save_pretrained";
        }
        return "check that config.json belongs to these weights";
    }

    private static String missingHint(String key, LlamaConfig c) {
        if (key.equals(LM_HEAD)) {
            return "the checkpoint has no separate head: if it ties the head to the embedding, set "
                    + "\"tie_word_embeddings\": true in config.json";
        }
        if (key.endsWith(".bias")) {
            return "config.json says attention_bias " + c.attentionBias() + " and mlp_bias " + c.mlpBias()
                    + " but the weights have no biases; use the config.json that came with these weights";
        }
        return "the checkpoint is incomplete or belongs to another config.json; re-download it";
    }

    private static String preview(List<String> keys) {
        return keys.size() <= 3 ? keys.toString() : keys.subList(0, 3) + " and " + (keys.size() - 3) + " more";
    }

    private static String describe(LlamaConfig c) {
        return String.format(Locale.ROOT, "vocab %d, hidden %d, intermediate %d, %d layers, %d heads, %d kv heads, "
                + "head_dim %d", c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim());
    }

    private static String snippet(JsonNode node) {
        String text = node.toString();
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }

    // ------------------------------------------------------------------------------------------------- saving

    /**
     * Atomically writes {@code dir/model.safetensors} with Hugging Face's key names and {@code {"format": "pt"}}
     * metadata, tensors rounded to {@code dtype} ("F32", "F16" or "BF16"; round to nearest even, as
     * {@code tensor.to(dtype)}), then removes a sharded checkpoint left from an earlier save. The parameters must be
     * exactly {@link #shapes}{@code (c)}; a NaN or infinite value, or one beyond F16's range (65504) when saving
     * F16, is refused before anything is written, so every saved checkpoint loads back.
     *
     * <p>Only the weights files are atomic; to replace a whole model directory (with {@code config.json}) so that a
     * crash leaves the old or the new model, write into {@link dev.peft4j.core.io.AtomicDirectory}.
     */
    public static void save(Map<String, NDArray> parameters, LlamaConfig c, Path dir, String dtype)
            throws IOException {
        saveSharded(parameters, c, dir, dtype, Long.MAX_VALUE);
    }

    /**
     * Writes the checkpoint as {@code save_pretrained(max_shard_size=maxShardBytes)} does: tensors in state-dict
     * order fill {@code model-0000K-of-0000N.safetensors} until the next would exceed the limit (a tensor larger than
     * the limit gets a shard of its own), and {@code model.safetensors.index.json} lists
     * {@code metadata.total_size} (bytes of tensor data) and the sorted {@code weight_map}. When everything fits one
     * shard this is {@link #save}'s single {@code model.safetensors}, as in {@code transformers}.
     *
     * <p>Order of writes, so that a reader (which prefers {@code model.safetensors}) sees the old checkpoint, the new
     * one or no checkpoint, never old and new shards mixed: delete the old index; write each shard atomically; write
     * the index; delete an old {@code model.safetensors} and old shards the new index does not name. Each shard is
     * built in memory on its own, so the heap needs about one shard, not the model.
     */
    public static void saveSharded(Map<String, NDArray> parameters, LlamaConfig c, Path dir, String dtype,
            long maxShardBytes) throws IOException {
        if (!SAVE_DTYPES.contains(dtype)) {
            throw new IllegalArgumentException("dtype must be one of " + SAVE_DTYPES + ", found \"" + dtype + "\"");
        }
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be > 0, found " + maxShardBytes);
        }
        Map<String, long[]> shapes = shapes(c);
        checkParameters(parameters, shapes, dtype);
        int elementBytes = dtype.equals("F32") ? 4 : 2;
        List<List<String>> shards = planShards(shapes, elementBytes, maxShardBytes);
        Files.createDirectories(dir);
        if (shards.size() == 1) {
            writeShard(dir.resolve(WEIGHTS_FILE), shards.get(0), parameters, shapes, dtype);
            Files.deleteIfExists(dir.resolve(INDEX_FILE));
            deleteStaleShards(dir, Set.of());
            return;
        }
        Files.deleteIfExists(dir.resolve(INDEX_FILE));
        Map<String, String> weightMap = new TreeMap<>();
        Set<String> names = new TreeSet<>();
        long totalBytes = 0;
        for (int k = 0; k < shards.size(); k++) {
            String name = String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", k + 1, shards.size());
            names.add(name);
            writeShard(dir.resolve(name), shards.get(k), parameters, shapes, dtype);
            for (String key : shards.get(k)) {
                weightMap.put(key, name);
                totalBytes += elements(shapes.get(key)) * elementBytes;
            }
        }
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", totalBytes);
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        AtomicFiles.writeString(dir.resolve(INDEX_FILE), LlamaConfig.pythonStyle(index));
        Files.deleteIfExists(dir.resolve(WEIGHTS_FILE));
        deleteStaleShards(dir, names);
    }

    /** {@code huggingface_hub}'s split: greedy in state-dict order, an oversized tensor alone in a shard. */
    static List<List<String>> planShards(Map<String, long[]> shapes, int elementBytes, long maxShardBytes) {
        List<List<String>> shards = new ArrayList<>();
        List<String> current = new ArrayList<>();
        long currentBytes = 0;
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            long bytes = elements(e.getValue()) * elementBytes;
            if (bytes > maxShardBytes) {
                shards.add(List.of(e.getKey()));
                continue;
            }
            if (currentBytes + bytes > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(e.getKey());
            currentBytes += bytes;
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        return shards;
    }

    /** Names and shapes exactly as {@code shapes}; values finite and within the range of {@code dtype}. */
    private static void checkParameters(Map<String, NDArray> parameters, Map<String, long[]> shapes, String dtype) {
        for (String key : parameters.keySet()) {
            if (!shapes.containsKey(key)) {
                throw new IllegalArgumentException("Parameter \"" + key + "\" is not one of LlamaForCausalLM's "
                        + shapes.size() + " tensors for this config" + (key.equals(LM_HEAD)
                        ? " (the config ties the head to the embedding, so there is no lm_head.weight)" : "")
                        + "; save exactly the tensors LlamaWeights.shapes(config) lists");
            }
        }
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            NDArray p = parameters.get(e.getKey());
            if (p == null) {
                throw new IllegalArgumentException("Parameter \"" + e.getKey() + "\" of shape "
                        + Arrays.toString(e.getValue()) + " is missing; save exactly the tensors "
                        + "LlamaWeights.shapes(config) lists");
            }
            if (!Arrays.equals(p.getShape().getShape(), e.getValue())) {
                throw new IllegalArgumentException("Parameter \"" + e.getKey() + "\" has shape " + p.getShape()
                        + " but the config needs " + Arrays.toString(e.getValue()));
            }
            float[] values = toFloats(p);
            float limit = dtype.equals("F16") ? F16_OVERFLOW : dtype.equals("BF16") ? BF16_OVERFLOW
                    : Float.POSITIVE_INFINITY;
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i]) || Math.abs(values[i]) >= limit) {
                    throw new IllegalArgumentException("Parameter \"" + e.getKey() + "\" holds " + values[i]
                            + " at flat index " + i + ", which " + (Float.isFinite(values[i])
                            ? dtype + " cannot hold (it would become infinite); save as BF16 or F32"
                            : "no checkpoint may hold; the model diverged, save an earlier one"));
                }
            }
        }
    }

    private static void writeShard(Path file, List<String> keys, Map<String, NDArray> parameters,
            Map<String, long[]> shapes, String dtype) throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (String key : keys) {
            tensors.put(key, TensorData.ofFloats(dtype, shapes.get(key), toFloats(parameters.get(key))));
        }
        SafeTensors.write(file, tensors, METADATA);
    }

    /** Removes {@code model-0000K-of-0000N.safetensors} files of an earlier save that {@code keep} does not name. */
    private static void deleteStaleShards(Path dir, Set<String> keep) throws IOException {
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "model-*-of-*.safetensors")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (SHARD.matcher(name).matches() && !keep.contains(name)) {
                    stale.add(file);
                }
            }
        }
        for (Path file : stale) {
            Files.deleteIfExists(file);
        }
    }

    private static float[] toFloats(NDArray array) {
        if (array.getDataType() == DataType.FLOAT32) {
            return array.toFloatArray();
        }
        try (NDArray wide = array.toType(DataType.FLOAT32, false)) {
            return wide.toFloatArray();
        }
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
