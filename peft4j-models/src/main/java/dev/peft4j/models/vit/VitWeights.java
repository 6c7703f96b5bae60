package dev.peft4j.models.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parameter list of a ViT by Hugging Face name (without the {@code vit.} prefix of
 * {@code ViTForImageClassification}), and the ways to fill it: at random from a seed, or from a safetensors file.
 */
final class VitWeights {

    static final String WEIGHTS_FILE = "model.safetensors";
    static final String PATCH = "embeddings.patch_embeddings.projection";
    static final String CLS_TOKEN = "embeddings.cls_token";
    static final String POSITIONS = "embeddings.position_embeddings";
    static final String HEAD = "classifier";
    static final String[] LAYER_LINEARS = {"attention.attention.query", "attention.attention.key",
        "attention.attention.value", "attention.output.dense", "intermediate.dense", "output.dense"};

    private VitWeights() {
    }

    /** Every parameter name with its shape, in Hugging Face order. */
    static Map<String, long[]> shapes(VitConfig c) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long f = c.intermediateSize();
        shapes.put(CLS_TOKEN, new long[] {1, 1, h});
        shapes.put(POSITIONS, new long[] {1, c.numPatches() + 1, h});
        shapes.put(PATCH + ".weight", new long[] {h, c.patchDim()});
        shapes.put(PATCH + ".bias", new long[] {h});
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "encoder.layer." + i + ".";
            shapes.put(p + "layernorm_before.weight", new long[] {h});
            shapes.put(p + "layernorm_before.bias", new long[] {h});
            for (String qkv : new String[] {"query", "key", "value"}) {
                shapes.put(p + "attention.attention." + qkv + ".weight", new long[] {h, h});
                shapes.put(p + "attention.attention." + qkv + ".bias", new long[] {h});
            }
            shapes.put(p + "attention.output.dense.weight", new long[] {h, h});
            shapes.put(p + "attention.output.dense.bias", new long[] {h});
            shapes.put(p + "layernorm_after.weight", new long[] {h});
            shapes.put(p + "layernorm_after.bias", new long[] {h});
            shapes.put(p + "intermediate.dense.weight", new long[] {f, h});
            shapes.put(p + "intermediate.dense.bias", new long[] {f});
            shapes.put(p + "output.dense.weight", new long[] {h, f});
            shapes.put(p + "output.dense.bias", new long[] {h});
        }
        shapes.put("layernorm.weight", new long[] {h});
        shapes.put("layernorm.bias", new long[] {h});
        shapes.put(HEAD + ".weight", new long[] {c.numLabels(), h});
        shapes.put(HEAD + ".bias", new long[] {c.numLabels()});
        return shapes;
    }

    /** Hugging Face's ViT initialisation: truncated N(0, 0.02) weights and embeddings, zero biases, LayerNorm 1/0. */
    static Map<String, NDArray> random(VitConfig config, long seed, NDManager manager) {
        Random random = new Random(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        shapes(config).forEach((name, shape) -> params.put(name, initial(name, new Shape(shape), random, manager)));
        return params;
    }

    static NDArray initial(String name, Shape shape, Random random, NDManager manager) {
        if (name.contains("layernorm") && name.endsWith(".weight")) {
            return manager.ones(shape);
        }
        if (name.endsWith(".bias")) {
            return manager.zeros(shape);
        }
        return truncatedNormal(random, 0.02f, shape, manager);
    }

    /** N(0, std) cut at two standard deviations (redrawn outside), as {@code torch.nn.init.trunc_normal_}. */
    static NDArray truncatedNormal(Random random, float std, Shape shape, NDManager manager) {
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            double g;
            do {
                g = random.nextGaussian();
            } while (Math.abs(g) > 2.0);
            values[i] = (float) g * std;
        }
        return manager.create(values, shape);
    }

    static void save(Map<String, NDArray> params, Path file) throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        params.forEach((name, tensor) -> tensors.put(name,
                TensorData.ofFloats(tensor.getShape().getShape(), tensor.toFloatArray())));
        SafeTensors.write(file, tensors, Map.of("format", "pt"));
    }

    /**
     * Reads every expected tensor from {@code file}, strictly: a missing, extra or mis-shaped tensor is an error
     * naming it. Names in {@code skip} are neither required nor read (a head that is about to be replaced).
     */
    static Map<String, NDArray> load(Path file, VitConfig config, Set<String> skip, NDManager manager)
            throws IOException {
        SafeTensors.Loaded loaded = SafeTensors.read(file);
        Map<String, long[]> expected = shapes(config);
        Set<String> extra = new TreeSet<>(loaded.tensors().keySet());
        extra.removeAll(expected.keySet());
        if (!extra.isEmpty()) {
            throw new AdapterFormatException(file, extra.iterator().next(), "only the tensors of a ViT with config "
                    + config, "extra tensors " + extra, "check that config.json belongs to these weights");
        }
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            if (skip.contains(e.getKey())) {
                continue;
            }
            TensorData tensor = loaded.tensors().get(e.getKey());
            if (tensor == null) {
                throw new AdapterFormatException(file, e.getKey(), "a tensor of shape " + Arrays.toString(e.getValue()),
                        "no such tensor", "save the complete model with VitModel.save");
            }
            if (!Arrays.equals(tensor.shape(), e.getValue())) {
                throw new AdapterFormatException(file, e.getKey(), "shape " + Arrays.toString(e.getValue())
                        + " (config " + config + ")", "shape " + Arrays.toString(tensor.shape()),
                        "check that config.json belongs to these weights");
            }
            params.put(e.getKey(), manager.create(tensor.asFloats(), new Shape(e.getValue())));
        }
        return params;
    }
}
