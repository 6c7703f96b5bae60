package dev.peft4j.models.bert;

import dev.peft4j.models.io.OnnxInitializers;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shape of a BERT-family encoder, as Hugging Face's {@code BertConfig} names it.
 *
 * @param vocabSize rows of the word embedding table
 * @param hiddenSize width of every token vector
 * @param numLayers number of encoder layers
 * @param numHeads attention heads per layer; {@code hiddenSize} must be a multiple of it
 * @param intermediateSize width of the feed-forward layer (usually 4 x hidden)
 * @param maxPositions rows of the position embedding table: the longest input in tokens
 * @param typeVocabSize rows of the token type (segment) table, 2 for sentence pairs
 * @param layerNormEps epsilon of every LayerNorm, 1e-12 in BERT
 * @param hiddenDropout dropout after embeddings and after each residual branch, training only
 * @param attentionDropout dropout on the attention probabilities, training only
 */
public record BertConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
        int maxPositions, int typeVocabSize, float layerNormEps, float hiddenDropout, float attentionDropout) {

    private static final Pattern LAYER_INDEX = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    public BertConfig {
        requirePositive("vocabSize", vocabSize);
        requirePositive("hiddenSize", hiddenSize);
        requirePositive("numLayers", numLayers);
        requirePositive("numHeads", numHeads);
        requirePositive("intermediateSize", intermediateSize);
        requirePositive("maxPositions", maxPositions);
        requirePositive("typeVocabSize", typeVocabSize);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hiddenSize " + hiddenSize + " is not a multiple of numHeads "
                    + numHeads + "; each head gets hiddenSize / numHeads dimensions, so pick a divisor of "
                    + hiddenSize);
        }
        if (!(layerNormEps > 0)) {
            throw new IllegalArgumentException("layerNormEps must be > 0, found " + layerNormEps);
        }
        requireProbability("hiddenDropout", hiddenDropout);
        requireProbability("attentionDropout", attentionDropout);
    }

    /** The tiny random encoder of the unit tests: hidden 32, 2 layers, 4 heads, ffn 64, vocab 100. */
    public static BertConfig tiny() {
        return new BertConfig(100, 32, 2, 4, 64, 64, 2, 1e-12f, 0.1f, 0.1f);
    }

    /**
     * Reads every size off the tensors (vocabulary, hidden, layers, ffn, positions, types); the head
     * count is not stored in any weight, so the caller supplies it. Dropout is BERT's 0.1.
     */
    public static BertConfig inferFrom(OnnxInitializers weights, int numHeads) {
        long[] words = weights.require("embeddings.word_embeddings.weight").shape();
        long[] positions = weights.require("embeddings.position_embeddings.weight").shape();
        long[] types = weights.require("embeddings.token_type_embeddings.weight").shape();
        long[] ffn = weights.require("encoder.layer.0.intermediate.dense.weight").shape(); // [ffn, hidden]
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : weights.tensors().keySet()) {
            Matcher m = LAYER_INDEX.matcher(name);
            if (m.find()) {
                layers.add(Integer.parseInt(m.group(1)));
            }
        }
        if (layers.isEmpty() || layers.last() != layers.size() - 1) {
            throw new IllegalArgumentException("Encoder layers in " + weights.source() + " are not numbered 0.."
                    + "n-1: found " + layers + "; the file is not a complete BERT encoder export");
        }
        return new BertConfig((int) words[0], (int) words[1], layers.size(), numHeads, (int) ffn[0],
                (int) positions[0], (int) types[0], 1e-12f, 0.1f, 0.1f);
    }

    /** Dimensions per attention head. */
    public int headSize() {
        return hiddenSize / numHeads;
    }

    /** The same encoder with other dropout rates (0 turns dropout off even in training). */
    public BertConfig withDropout(float hidden, float attention) {
        return new BertConfig(vocabSize, hiddenSize, numLayers, numHeads, intermediateSize, maxPositions,
                typeVocabSize, layerNormEps, hidden, attention);
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
