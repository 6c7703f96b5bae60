package dev.peft4j.models.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model's weights as Hugging Face's {@code save_pretrained} writes them ({@code model.safetensors}, or shards
 * listed by {@code model.safetensors.index.json}), read strictly against the name -> shape map the architecture
 * expects and written back in F32, F16 or BF16. It knows nothing of any one architecture, so that each reads and
 * refuses checkpoints the same way; what is particular to one (buffers older exports carry, a tied head, the advice
 * in a refusal) comes from its {@link Policy}.
 *
 * <p>Loading is strict, because a checkpoint that does not match {@code config.json} would otherwise run and give
 * wrong results: a missing, unexpected, mis-shaped, non-floating or non-finite tensor, or an index naming a shard that
 * is missing or lacks the tensor, is an {@link AdapterFormatException} naming the file, the key, what was expected
 * and what was found. All tensors become FLOAT32 arrays, one at a time, from memory-mapped files, so a checkpoint
 * larger than the Java heap's largest array or than 2 GiB loads as long as its tensors fit in memory once.
 */
public final class SafeTensorsCheckpoint {

    /** The single-file checkpoint. */
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** The index of a sharded checkpoint. */
    public static final String INDEX_FILE = "model.safetensors.index.json";
    /** The dtypes {@link #save} writes. */
    public static final List<String> SAVE_DTYPES = List.of("F32", "F16", "BF16");
    /** {@code transformers}' default shard limit ({@code max_shard_size="5GB"}). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private static final Map<String, String> METADATA = Map.of("format", "pt");
    /** Smallest magnitude F16 rounds to infinity (half-way above 65504, ties to the even infinity). */
    private static final float F16_OVERFLOW = 65520f;
    /** Smallest magnitude BF16 rounds to infinity. */
    private static final float BF16_OVERFLOW = Float.intBitsToFloat(0x7F7F8000);

    /**
     * What an architecture decides about its checkpoints beyond the expected shapes: which extra tensors to skip or
     * drop, and the words its refusals use. Only the names are required; the defaults skip nothing and give generic
     * advice, which suits an architecture whose checkpoints hold exactly its parameters.
     */
    public interface Policy {

        /** The model class as messages name it, such as {@code LlamaForCausalLM}. */
        String architecture();

        /** The sizes in {@code config.json} that decide the expected shapes, as messages quote them. */
        String config();

        /** Whether an unexpected tensor is a buffer to skip unread whatever it holds (one the model recomputes). */
        default boolean ignores(String key) {
            return false;
        }

        /**
         * Whether a shard may hold {@code key} although the index does not list it; such a tensor is skipped. Asked
         * while the index is read, before the expected shapes apply; by default what {@link #ignores} skips.
         */
        default boolean mayBeUnlisted(String key) {
            return ignores(key);
        }

        /**
         * The expected tensor that the unexpected {@code key} may repeat (a tied head repeating the embedding), or
         * null when it is no such copy. A copy is dropped when it equals that tensor bit for bit as floats and
         * refused with {@link #differs} when not, since then the file holds values the model would silently replace.
         */
        default String duplicateOf(String key) {
            return null;
        }

        /** The refusal of a copy that differs from {@link #duplicateOf}; {@code difference} names the first value. */
        default AdapterFormatException differs(Path file, String key, String difference) {
            return new AdapterFormatException(file, key, "no " + key + ", or one equal to " + duplicateOf(key),
                    "one that differs from it (" + difference + ")", "drop " + key + " from the checkpoint");
        }

        /** What to do about {@code key}, the first tensor the expected shapes do not have. */
        default String unexpectedFix(String key) {
            return "check that config.json belongs to these weights";
        }

        /** What to do about {@code key}, the first expected tensor the checkpoint lacks. */
        default String missingFix(String key) {
            return "the checkpoint is incomplete or belongs to another config.json; re-download it";
        }

        /** What to do when {@code key}, among the parameters to save, is not expected or is missing. */
        default String saveFix(String key) {
            return "save exactly the tensors " + architecture() + " has for this config";
        }
    }

    /** One tensor of a checkpoint and the file it lies in (for messages). */
    record Located(Path file, TensorData data) {
    }

    /** Every tensor of a checkpoint by name; {@code source} is the file that lists them (the index or the file). */
    private record Found(Path source, Map<String, Located> tensors) {
    }

    private final Map<String, long[]> shapes;
    private final Policy policy;

    /**
     * The checkpoint of a model with exactly these parameters, in this order (the state-dict order, which is also
     * the order they are saved and sharded in).
     */
    public SafeTensorsCheckpoint(Map<String, long[]> shapes, Policy policy) {
        this.shapes = Collections.unmodifiableMap(new LinkedHashMap<>(shapes));
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    // ------------------------------------------------------------------------------------------------- loading

    /**
     * Reads {@code dir/model.safetensors}, or else the shards {@code dir/model.safetensors.index.json} lists, into
     * FLOAT32 arrays created in {@code manager}, checked against the expected shapes (see the class comment). When
     * both forms are present the single file wins, as in {@code transformers}; {@link #saveSharded} relies on that to
     * leave a loadable directory at every instant.
     */
    public Map<String, NDArray> load(Path dir, NDManager manager) throws IOException {
        return convert(locate(dir), manager);
    }

    private Found locate(Path dir) throws IOException {
        Path single = dir.resolve(WEIGHTS_FILE);
        if (Files.isRegularFile(single)) {
            Map<String, Located> tensors = new LinkedHashMap<>();
            SafeTensors.read(single).tensors().forEach((k, t) -> tensors.put(k, new Located(single, t)));
            return new Found(single, tensors);
        }
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return new Found(index, SafeTensorsShards.read(dir, index, policy::mayBeUnlisted));
        }
        String other = Files.isRegularFile(dir.resolve("pytorch_model.bin"))
                || Files.isRegularFile(dir.resolve("pytorch_model.bin.index.json"))
                ? " It has PyTorch pickle weights (pytorch_model.bin), which peft4j does not execute; convert them "
                        + "to safetensors (save_pretrained(..., safe_serialization=True))." : "";
        throw new IOException("No " + policy.architecture() + " weights in " + dir + ": looked for " + WEIGHTS_FILE
                + " and " + INDEX_FILE + " (a sharded checkpoint), found neither." + other);
    }

    private Map<String, NDArray> convert(Found checkpoint, NDManager manager) throws IOException {
        Map<String, Located> found = checkpoint.tensors();
        List<String> unexpected = new ArrayList<>();
        Map<String, List<String>> copies = new LinkedHashMap<>();
        for (String key : found.keySet()) {
            if (shapes.containsKey(key) || policy.ignores(key)) {
                continue;
            }
            String original = policy.duplicateOf(key);
            if (original != null && shapes.containsKey(original)) {
                copies.computeIfAbsent(original, k -> new ArrayList<>()).add(key);
            } else {
                unexpected.add(key);
            }
        }
        if (!unexpected.isEmpty()) {
            String first = unexpected.get(0);
            throw new AdapterFormatException(found.get(first).file(), first, "only the " + shapes.size()
                    + " tensors of " + policy.architecture() + " with this config.json", unexpected.size()
                    + " unexpected tensor" + (unexpected.size() == 1 ? "" : "s") + " " + preview(unexpected),
                    policy.unexpectedFix(first));
        }
        List<String> missing = new ArrayList<>();
        for (String key : shapes.keySet()) {
            if (!found.containsKey(key)) {
                missing.add(key);
            }
        }
        if (!missing.isEmpty()) {
            String first = missing.get(0);
            throw new AdapterFormatException(checkpoint.source(), first, "a tensor of shape "
                    + Arrays.toString(shapes.get(first)) + " (config.json: " + policy.config() + ")",
                    "no such tensor (" + missing.size() + " missing: " + preview(missing) + ")",
                    policy.missingFix(first));
        }
        Map<String, NDArray> params = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                float[] values = floats(e.getKey(), found.get(e.getKey()), e.getValue());
                for (String copy : copies.getOrDefault(e.getKey(), List.of())) {
                    checkCopy(values, copy, found.get(copy), e.getValue());
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
    private float[] floats(String key, Located t, long[] shape) throws IOException {
        if (!Arrays.equals(t.data().shape(), shape)) {
            throw new AdapterFormatException(t.file(), key, "shape " + Arrays.toString(shape) + " (from config.json: "
                    + policy.config() + ")", "shape " + Arrays.toString(t.data().shape()),
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

    /** Accepts the copy {@code key} of a tensor whose values are {@code original} only if it equals them exactly. */
    private void checkCopy(float[] original, String key, Located copy, long[] shape) throws IOException {
        float[] values = floats(key, copy, shape);
        for (int i = 0; i < values.length; i++) {
            if (Float.floatToIntBits(values[i]) != Float.floatToIntBits(original[i])) {
                throw policy.differs(copy.file(), key, "flat index " + i + ": " + values[i] + " vs " + original[i]);
            }
        }
    }

    private static String preview(List<String> keys) {
        return keys.size() <= 3 ? keys.toString() : keys.subList(0, 3) + " and " + (keys.size() - 3) + " more";
    }

    // ------------------------------------------------------------------------------------------------- saving

    /**
     * Atomically writes {@code dir/model.safetensors} with {@code {"format": "pt"}} metadata, tensors rounded to
     * {@code dtype} ("F32", "F16" or "BF16"; round to nearest even, as {@code tensor.to(dtype)}), then removes a
     * sharded checkpoint left from an earlier save. The parameters must be exactly the expected shapes; a NaN or
     * infinite value, or one beyond F16's range (65504) when saving F16, is refused before anything is written, so
     * every saved checkpoint loads back.
     *
     * <p>Only the weights files are atomic; to replace a whole model directory (with {@code config.json}) so that a
     * crash leaves the old or the new model, write into {@link dev.peft4j.core.io.AtomicDirectory}.
     */
    public void save(Map<String, NDArray> parameters, Path dir, String dtype) throws IOException {
        saveSharded(parameters, dir, dtype, Long.MAX_VALUE);
    }

    /**
     * Writes the checkpoint as {@code save_pretrained(max_shard_size=maxShardBytes)} does: tensors in state-dict
     * order fill {@code model-0000K-of-0000N.safetensors} until the next would exceed the limit (a tensor larger than
     * the limit gets a shard of its own, see {@link #planShards}), and {@code model.safetensors.index.json} lists
     * {@code metadata.total_size} (bytes of tensor data) and the sorted {@code weight_map}. When everything fits one
     * shard this is {@link #save}'s single {@code model.safetensors}, as in {@code transformers}.
     *
     * <p>Order of writes, so that a reader (which prefers {@code model.safetensors}) sees the old checkpoint, the new
     * one or no checkpoint, never old and new shards mixed: delete the old index; write each shard atomically; write
     * the index; delete an old {@code model.safetensors} and old shards the new index does not name. Each shard is
     * built in memory on its own, so the heap needs about one shard, not the model.
     */
    public void saveSharded(Map<String, NDArray> parameters, Path dir, String dtype, long maxShardBytes)
            throws IOException {
        if (!SAVE_DTYPES.contains(dtype)) {
            throw new IllegalArgumentException("dtype must be one of " + SAVE_DTYPES + ", found \"" + dtype + "\"");
        }
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be > 0, found " + maxShardBytes);
        }
        checkParameters(parameters, dtype);
        int elementBytes = dtype.equals("F32") ? 4 : 2;
        List<List<String>> shards = planShards(shapes, elementBytes, maxShardBytes);
        Files.createDirectories(dir);
        if (shards.size() == 1) {
            writeShard(dir.resolve(WEIGHTS_FILE), shards.get(0), parameters, dtype);
            Files.deleteIfExists(dir.resolve(INDEX_FILE));
            SafeTensorsShards.deleteStale(dir, Set.of());
            return;
        }
        Files.deleteIfExists(dir.resolve(INDEX_FILE));
        Map<String, String> weightMap = new LinkedHashMap<>();
        Set<String> names = new TreeSet<>();
        long totalBytes = 0;
        for (int k = 0; k < shards.size(); k++) {
            String name = SafeTensorsShards.name(k + 1, shards.size());
            names.add(name);
            writeShard(dir.resolve(name), shards.get(k), parameters, dtype);
            for (String key : shards.get(k)) {
                weightMap.put(key, name);
                totalBytes += elements(shapes.get(key)) * elementBytes;
            }
        }
        SafeTensorsShards.writeIndex(dir.resolve(INDEX_FILE), weightMap, totalBytes);
        Files.deleteIfExists(dir.resolve(WEIGHTS_FILE));
        SafeTensorsShards.deleteStale(dir, names);
    }

    /**
     * The tensors of each shard, as {@code huggingface_hub} splits them: greedy in state-dict order, an oversized
     * tensor alone in a shard (appended when it is met, before the open shard is closed).
     */
    public static List<List<String>> planShards(Map<String, long[]> shapes, int elementBytes, long maxShardBytes) {
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

    /** Names and shapes exactly the expected ones; values finite and within the range of {@code dtype}. */
    private void checkParameters(Map<String, NDArray> parameters, String dtype) {
        for (String key : parameters.keySet()) {
            if (!shapes.containsKey(key)) {
                throw new IllegalArgumentException("Parameter \"" + key + "\" is not one of "
                        + policy.architecture() + "'s " + shapes.size() + " tensors for this config; "
                        + policy.saveFix(key));
            }
        }
        for (Map.Entry<String, long[]> e : shapes.entrySet()) {
            NDArray p = parameters.get(e.getKey());
            if (p == null) {
                throw new IllegalArgumentException("Parameter \"" + e.getKey() + "\" of shape "
                        + Arrays.toString(e.getValue()) + " is missing; " + policy.saveFix(e.getKey()));
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

    private void writeShard(Path file, List<String> keys, Map<String, NDArray> parameters, String dtype)
            throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (String key : keys) {
            tensors.put(key, TensorData.ofFloats(dtype, shapes.get(key), toFloats(parameters.get(key))));
        }
        SafeTensors.write(file, tensors, METADATA);
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
