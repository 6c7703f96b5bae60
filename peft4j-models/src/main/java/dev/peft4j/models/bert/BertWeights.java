package dev.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.models.io.OnnxInitializers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The parameter list of a BERT encoder by Hugging Face name, and the ways to fill it: from a
 * checkpoint (an ONNX export, a TF tensor bundle) or at random (BERT's own initialisation, from a
 * seed, for tests).
 */
final class BertWeights {

    static final String[] LAYER_LINEARS = {"attention.self.query", "attention.self.key", "attention.self.value",
        "attention.output.dense", "intermediate.dense", "output.dense"};

    private BertWeights() {
    }

    /** Every parameter name with its shape, in Hugging Face order. */
    static Map<String, long[]> shapes(BertConfig c) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long f = c.intermediateSize();
        shapes.put("embeddings.word_embeddings.weight", new long[] {c.vocabSize(), h});
        shapes.put("embeddings.position_embeddings.weight", new long[] {c.maxPositions(), h});
        shapes.put("embeddings.token_type_embeddings.weight", new long[] {c.typeVocabSize(), h});
        shapes.put("embeddings.LayerNorm.weight", new long[] {h});
        shapes.put("embeddings.LayerNorm.bias", new long[] {h});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            for (String qkv : new String[] {"query", "key", "value"}) {
                shapes.put(p + "attention.self." + qkv + ".weight", new long[] {h, h});
                shapes.put(p + "attention.self." + qkv + ".bias", new long[] {h});
            }
            shapes.put(p + "attention.output.dense.weight", new long[] {h, h});
            shapes.put(p + "attention.output.dense.bias", new long[] {h});
            shapes.put(p + "attention.output.LayerNorm.weight", new long[] {h});
            shapes.put(p + "attention.output.LayerNorm.bias", new long[] {h});
            shapes.put(p + "intermediate.dense.weight", new long[] {f, h});
            shapes.put(p + "intermediate.dense.bias", new long[] {f});
            shapes.put(p + "output.dense.weight", new long[] {h, f});
            shapes.put(p + "output.dense.bias", new long[] {h});
            shapes.put(p + "output.LayerNorm.weight", new long[] {h});
            shapes.put(p + "output.LayerNorm.bias", new long[] {h});
        }
        return shapes;
    }

    /**
     * Hands out one tensor at a time by Hugging Face name ({@code [out, in]} for Linear weights), so
     * that a loader never holds more than one tensor of a checkpoint on the Java heap.
     */
    @FunctionalInterface
    interface TensorSource {
        OnnxInitializers.FloatTensor require(String hfName) throws IOException;
    }

    /** Copies every expected tensor out of the ONNX initializers, checking its shape. */
    static Map<String, NDArray> fromOnnx(OnnxInitializers weights, BertConfig config, NDManager manager) {
        try {
            return fromSource(weights::require, weights.source(), config, manager);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // the initializers are already in memory: cannot happen
        }
    }

    /** Copies every expected tensor out of {@code weights}, checking its shape; {@code source} names it. */
    static Map<String, NDArray> fromSource(TensorSource weights, String source, BertConfig config,
            NDManager manager) throws IOException {
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(config).entrySet()) {
            OnnxInitializers.FloatTensor tensor = weights.require(e.getKey());
            if (!Arrays.equals(tensor.shape(), e.getValue())) {
                throw new IllegalArgumentException("Tensor '" + e.getKey() + "' in " + source
                        + " has shape " + Arrays.toString(tensor.shape()) + " but the config " + config
                        + " needs " + Arrays.toString(e.getValue()) + "; check the model's head count and sizes");
            }
            params.put(e.getKey(), manager.create(tensor.data(), new Shape(tensor.shape())));
        }
        return params;
    }

    /** BERT's initialisation: N(0, 0.02) weights and embeddings, zero biases, LayerNorm 1 and 0. */
    static Map<String, NDArray> random(BertConfig config, long seed, NDManager manager) {
        Random random = new Random(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(config).entrySet()) {
            String name = e.getKey();
            Shape shape = new Shape(e.getValue());
            NDArray value;
            if (name.endsWith("LayerNorm.weight")) {
                value = manager.ones(shape);
            } else if (name.endsWith(".bias")) {
                value = manager.zeros(shape);
            } else {
                value = normal(random, 0.02f, shape, manager);
            }
            params.put(name, value);
        }
        return params;
    }

    /** N(0, std) from a java.util.Random, so that a seed gives the same tensor on every engine. */
    static NDArray normal(Random random, float std, Shape shape, NDManager manager) {
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * std;
        }
        return manager.create(values, shape);
    }
}
