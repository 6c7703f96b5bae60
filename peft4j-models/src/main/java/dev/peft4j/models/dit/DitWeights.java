package dev.peft4j.models.dit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * The parameter list of a DiT by module name (DiT's {@code models.py}, with diffusers' names for the attention
 * projections), and the ways to fill it: DiT's initialisation from a seed, or a safetensors file. The sin-cos
 * position embedding is fixed, not a parameter, so it is neither saved nor trained.
 */
final class DitWeights {

    static final String WEIGHTS_FILE = "model.safetensors";
    static final String PATCH = "x_embedder.proj";
    static final String TIME_IN = "t_embedder.mlp.0";
    static final String TIME_OUT = "t_embedder.mlp.2";
    static final String LABELS = "y_embedder.embedding_table.weight";
    static final String FINAL_MODULATION = "final_layer.adaLN_modulation.1";
    static final String HEAD = "final_layer.linear";
    static final String[] BLOCK_LINEARS = {"attn.to_q", "attn.to_k", "attn.to_v", "attn.to_out.0", "mlp.fc1",
        "mlp.fc2", "adaLN_modulation.1"};

    private DitWeights() {
    }

    /** The linear layers' module paths in model order: what {@code DitModel} makes slots of. */
    static List<String> linearModules(DitConfig c) {
        List<String> modules = new ArrayList<>(List.of(PATCH, TIME_IN, TIME_OUT));
        for (int i = 0; i < c.numLayers(); i++) {
            for (String module : BLOCK_LINEARS) {
                modules.add("blocks." + i + "." + module);
            }
        }
        modules.add(FINAL_MODULATION);
        modules.add(HEAD);
        return modules;
    }

    /** Every parameter name with its shape, in model order. */
    static Map<String, long[]> shapes(DitConfig c) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long h = c.hiddenSize();
        linear(shapes, PATCH, h, c.patchDim());
        linear(shapes, TIME_IN, h, c.frequencyEmbeddingSize());
        linear(shapes, TIME_OUT, h, h);
        shapes.put(LABELS, new long[] {c.numClasses() + 1L, h}); // + the null class
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "blocks." + i + ".";
            for (String qkvo : new String[] {"attn.to_q", "attn.to_k", "attn.to_v", "attn.to_out.0"}) {
                linear(shapes, p + qkvo, h, h);
            }
            linear(shapes, p + "mlp.fc1", c.intermediateSize(), h);
            linear(shapes, p + "mlp.fc2", h, c.intermediateSize());
            linear(shapes, p + "adaLN_modulation.1", 6 * h, h); // shift, scale, gate of attention and MLP
        }
        linear(shapes, FINAL_MODULATION, 2 * h, h); // shift, scale
        linear(shapes, HEAD, c.patchDim(), h);
        return shapes;
    }

    private static void linear(Map<String, long[]> shapes, String module, long out, long in) {
        shapes.put(module + ".weight", new long[] {out, in});
        shapes.put(module + ".bias", new long[] {out});
    }

    /**
     * DiT's {@code initialize_weights}: Xavier-uniform linear weights, zero biases, N(0, 0.02) label table and
     * timestep MLP, and zeros for every adaLN modulation and the output layer (adaLN-Zero: each block starts as the
     * identity and the model predicts zero noise).
     */
    static Map<String, NDArray> random(DitConfig config, long seed, NDManager manager) {
        Random random = new Random(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        shapes(config).forEach((name, shape) -> params.put(name, initial(name, new Shape(shape), random, manager)));
        return params;
    }

    private static NDArray initial(String name, Shape shape, Random random, NDManager manager) {
        boolean zeroInit = name.endsWith(".bias") || name.contains("adaLN_modulation") || name.startsWith(HEAD + ".");
        if (zeroInit) {
            return manager.zeros(shape);
        }
        float[] values = new float[Math.toIntExact(shape.size())];
        if (name.equals(LABELS) || name.startsWith("t_embedder.")) {
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) random.nextGaussian() * 0.02f;
            }
        } else {
            // torch.nn.init.xavier_uniform_: U(-a, a), a = sqrt(6 / (fan_in + fan_out))
            double bound = Math.sqrt(6.0 / (shape.get(0) + shape.get(1)));
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) ((2 * random.nextDouble() - 1) * bound);
            }
        }
        return manager.create(values, shape);
    }

    static void save(Map<String, NDArray> params, Path file) throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        params.forEach((name, tensor) -> tensors.put(name,
                TensorData.ofFloats(tensor.getShape().getShape(), tensor.toFloatArray())));
        SafeTensors.write(file, tensors, Map.of("format", "pt"));
    }

    /** Reads every expected tensor from {@code file}, strictly: a missing, extra or mis-shaped tensor is an error. */
    static Map<String, NDArray> load(Path file, DitConfig config, NDManager manager) throws IOException {
        SafeTensors.Loaded loaded = SafeTensors.read(file);
        Map<String, long[]> expected = shapes(config);
        Set<String> extra = new TreeSet<>(loaded.tensors().keySet());
        extra.removeAll(expected.keySet());
        if (!extra.isEmpty()) {
            throw new AdapterFormatException(file, extra.iterator().next(), "only the tensors of a DiT with config "
                    + config, "extra tensors " + extra, "check that config.json belongs to these weights");
        }
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            TensorData tensor = loaded.tensors().get(e.getKey());
            if (tensor == null) {
                throw new AdapterFormatException(file, e.getKey(), "a tensor of shape " + Arrays.toString(e.getValue()),
                        "no such tensor", "save the complete model with DitModel.save");
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
