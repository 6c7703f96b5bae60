package dev.peft4j.models.dit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a class-conditional diffusion transformer, with the field names of DiT's constructor and of
 * diffusers' {@code DiTTransformer2DModel} in {@code config.json}.
 *
 * @param sampleSize height and width of the square image in pixels
 * @param patchSize side of one square patch; must divide {@code sampleSize}
 * @param inChannels channels of the image (1 for (Fashion-)MNIST); the noise prediction has as many
 * @param hiddenSize width of every token vector and of the conditioning vector; a multiple of 4 (the 2-D sin-cos
 *     position embedding gives a quarter of it to each of sin and cos of each axis)
 * @param numLayers number of DiT blocks
 * @param numHeads attention heads per block; must divide {@code hiddenSize}
 * @param intermediateSize width of each block's MLP (DiT: 4 x hidden)
 * @param numClasses real classes; the label table has one more row, the "null" class of classifier-free guidance
 * @param frequencyEmbeddingSize width of the sinusoidal timestep features fed to the timestep MLP (DiT: 256); even
 */
public record DitConfig(int sampleSize, int patchSize, int inChannels, int hiddenSize, int numLayers, int numHeads,
        int intermediateSize, int numClasses, int frequencyEmbeddingSize) {

    /** The file beside the weights. */
    public static final String FILE = "config.json";
    /** Epsilon of every LayerNorm, DiT's 1e-6. */
    public static final float NORM_EPS = 1e-6f;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public DitConfig {
        requirePositive("sampleSize", sampleSize);
        requirePositive("patchSize", patchSize);
        requirePositive("inChannels", inChannels);
        requirePositive("hiddenSize", hiddenSize);
        requirePositive("numLayers", numLayers);
        requirePositive("numHeads", numHeads);
        requirePositive("intermediateSize", intermediateSize);
        requirePositive("numClasses", numClasses);
        requirePositive("frequencyEmbeddingSize", frequencyEmbeddingSize);
        if (sampleSize % patchSize != 0) {
            throw new IllegalArgumentException("patchSize " + patchSize + " does not divide sampleSize " + sampleSize
                    + "; pick a divisor (for 28: 2, 4, 7 or 14)");
        }
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hiddenSize " + hiddenSize + " is not a multiple of numHeads " + numHeads
                    + "; each head gets hiddenSize / numHeads dimensions, so pick a divisor of " + hiddenSize);
        }
        if (hiddenSize % 4 != 0) {
            throw new IllegalArgumentException("hiddenSize must be a multiple of 4 for the 2-D sin-cos position "
                    + "embedding (sin and cos of each axis get a quarter), found " + hiddenSize);
        }
        if (frequencyEmbeddingSize % 2 != 0) {
            throw new IllegalArgumentException("frequencyEmbeddingSize must be even (cos and sin halves), found "
                    + frequencyEmbeddingSize);
        }
    }

    /** The unit tests' model: patch 7 on 28 x 28 (16 tokens), hidden 32, 2 blocks of 4 heads, MLP 64, 10 classes. */
    public static DitConfig tiny() {
        return new DitConfig(28, 7, 1, 32, 2, 4, 64, 10, 32);
    }

    /** Patches per image: the sequence length. */
    public int numPatches() {
        int side = sampleSize / patchSize;
        return side * side;
    }

    /** Values in one flattened patch: channels x patch x patch. */
    public int patchDim() {
        return inChannels * patchSize * patchSize;
    }

    public int headSize() {
        return hiddenSize / numHeads;
    }

    /** The label of the "null" class (no class), which classifier-free guidance's unconditional half uses. */
    public int nullClass() {
        return numClasses;
    }

    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model_type", "dit");
        json.put("sample_size", sampleSize);
        json.put("patch_size", patchSize);
        json.put("in_channels", inChannels);
        json.put("hidden_size", hiddenSize);
        json.put("num_layers", numLayers);
        json.put("num_attention_heads", numHeads);
        json.put("intermediate_size", intermediateSize);
        json.put("num_classes", numClasses);
        json.put("frequency_embedding_size", frequencyEmbeddingSize);
        json.put("norm_eps", NORM_EPS);
        json.put("prediction_type", "epsilon");
        return json;
    }

    void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(FILE), JSON.writeValueAsString(toJson()));
    }

    /** Reads {@code dir/config.json}; a missing field is an error naming it. */
    @SuppressWarnings("unchecked")
    public static DitConfig load(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("No " + FILE + " in " + dir + ": expected a DiT saved by DitModel.save");
        }
        Map<String, Object> json = JSON.readValue(file.toFile(), Map.class);
        if (!"dit".equals(json.get("model_type"))) {
            throw new IOException(file + ": model_type must be \"dit\", found " + json.get("model_type")
                    + "; this folder holds another kind of model");
        }
        return new DitConfig(integer(json, "sample_size", file), integer(json, "patch_size", file),
                integer(json, "in_channels", file), integer(json, "hidden_size", file),
                integer(json, "num_layers", file), integer(json, "num_attention_heads", file),
                integer(json, "intermediate_size", file), integer(json, "num_classes", file),
                integer(json, "frequency_embedding_size", file));
    }

    private static int integer(Map<String, Object> json, String key, Path file) throws IOException {
        Object value = json.get(key);
        if (!(value instanceof Number n)) {
            throw new IOException(file + ": field '" + key + "' must be a number, found " + value
                    + "; re-save the model with DitModel.save");
        }
        return n.intValue();
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, found " + value);
        }
    }
}
