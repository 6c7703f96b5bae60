package dev.peft4j.models.vit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The shape of a Vision Transformer, with Hugging Face's {@code ViTConfig} field names in {@code config.json}.
 *
 * @param imageSize height and width of the square input image in pixels
 * @param patchSize side of one square patch; must divide {@code imageSize} ({@code (imageSize/patchSize)^2} tokens)
 * @param numChannels colour channels of the input (1 for (Fashion-)MNIST)
 * @param hiddenSize width of every token vector
 * @param numLayers number of encoder blocks
 * @param numHeads attention heads per block; {@code hiddenSize} must be a multiple of it
 * @param intermediateSize width of the MLP inside each block
 * @param numLabels classes of the head {@code classifier}
 * @param layerNormEps epsilon of every LayerNorm
 * @param hiddenDropout dropout after the embeddings and each residual branch, training only
 * @param attentionDropout dropout on the attention probabilities, training only
 */
public record VitConfig(int imageSize, int patchSize, int numChannels, int hiddenSize, int numLayers, int numHeads,
        int intermediateSize, int numLabels, float layerNormEps, float hiddenDropout, float attentionDropout) {

    /** The file beside the weights. */
    public static final String FILE = "config.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public VitConfig {
        requirePositive("imageSize", imageSize);
        requirePositive("patchSize", patchSize);
        requirePositive("numChannels", numChannels);
        requirePositive("hiddenSize", hiddenSize);
        requirePositive("numLayers", numLayers);
        requirePositive("numHeads", numHeads);
        requirePositive("intermediateSize", intermediateSize);
        requirePositive("numLabels", numLabels);
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("patchSize " + patchSize + " does not divide imageSize " + imageSize
                    + "; pick a divisor (for 28: 4, 7 or 14)");
        }
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hiddenSize " + hiddenSize + " is not a multiple of numHeads " + numHeads
                    + "; each head gets hiddenSize / numHeads dimensions, so pick a divisor of " + hiddenSize);
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layerNormEps must be > 0, found " + layerNormEps);
        }
        requireProbability("hiddenDropout", hiddenDropout);
        requireProbability("attentionDropout", attentionDropout);
    }

    /**
     * The default for 28 x 28 grey images on 2 CPU cores: patch 7 (16 tokens plus the class token), hidden 64,
     * 4 blocks of 4 heads, MLP 128, 10 labels, dropout 0.1 (about 140k parameters).
     */
    public static VitConfig small() {
        return new VitConfig(28, 7, 1, 64, 4, 4, 128, 10, 1e-6f, 0.1f, 0.0f);
    }

    /** The unit tests' model: hidden 32, 2 blocks, 4 heads, MLP 64, patch 7 on 28 x 28, 10 labels. */
    public static VitConfig tiny() {
        return new VitConfig(28, 7, 1, 32, 2, 4, 64, 10, 1e-6f, 0.1f, 0.1f);
    }

    /** Patches per image, i.e. tokens without the class token. */
    public int numPatches() {
        int side = imageSize / patchSize;
        return side * side;
    }

    /** Values in one flattened patch: channels x patch x patch. */
    public int patchDim() {
        return numChannels * patchSize * patchSize;
    }

    public int headSize() {
        return hiddenSize / numHeads;
    }

    /** The same model with another head size (e.g. a new task's classes). */
    public VitConfig withNumLabels(int labels) {
        return new VitConfig(imageSize, patchSize, numChannels, hiddenSize, numLayers, numHeads, intermediateSize,
                labels, layerNormEps, hiddenDropout, attentionDropout);
    }

    /** The same model with other dropout rates. */
    public VitConfig withDropout(float hidden, float attention) {
        return new VitConfig(imageSize, patchSize, numChannels, hiddenSize, numLayers, numHeads, intermediateSize,
                numLabels, layerNormEps, hidden, attention);
    }

    /** Hugging Face's field names, so that the file reads like a {@code ViTConfig}. */
    Map<String, Object> toJson() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model_type", "vit");
        json.put("image_size", imageSize);
        json.put("patch_size", patchSize);
        json.put("num_channels", numChannels);
        json.put("hidden_size", hiddenSize);
        json.put("num_hidden_layers", numLayers);
        json.put("num_attention_heads", numHeads);
        json.put("intermediate_size", intermediateSize);
        json.put("num_labels", numLabels);
        json.put("layer_norm_eps", layerNormEps);
        json.put("hidden_dropout_prob", hiddenDropout);
        json.put("attention_probs_dropout_prob", attentionDropout);
        json.put("hidden_act", "gelu");
        return json;
    }

    void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(FILE), JSON.writeValueAsString(toJson()));
    }

    /** Reads {@code dir/config.json}; a missing field is an error naming it. */
    @SuppressWarnings("unchecked")
    public static VitConfig load(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("No " + FILE + " in " + dir + ": expected a ViT saved by VitModel.save or "
                    + "'peft4j pretrain vit -o DIR'");
        }
        Map<String, Object> json = JSON.readValue(file.toFile(), Map.class);
        return new VitConfig(integer(json, "image_size", file), integer(json, "patch_size", file),
                integer(json, "num_channels", file), integer(json, "hidden_size", file),
                integer(json, "num_hidden_layers", file), integer(json, "num_attention_heads", file),
                integer(json, "intermediate_size", file), integer(json, "num_labels", file),
                number(json, "layer_norm_eps", file), number(json, "hidden_dropout_prob", file),
                number(json, "attention_probs_dropout_prob", file));
    }

    private static Number field(Map<String, Object> json, String key, Path file) throws IOException {
        Object value = json.get(key);
        if (!(value instanceof Number n)) {
            throw new IOException(file + ": field '" + key + "' must be a number, found " + value
                    + "; re-save the model with VitModel.save");
        }
        return n;
    }

    private static int integer(Map<String, Object> json, String key, Path file) throws IOException {
        return field(json, key, file).intValue();
    }

    private static float number(Map<String, Object> json, String key, Path file) throws IOException {
        return field(json, key, file).floatValue();
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, found " + value);
        }
    }

    private static void requireProbability(String name, float value) {
        if (!(value >= 0f && value < 1f)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), found " + value);
        }
    }
}
