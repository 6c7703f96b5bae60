package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** peft's toy model (Linear 10 -> 20 -> 2 with ReLU), head {@code lin1}, random weights from a seed. */
public final class ToyMlp implements AdaptableModel {

    private final NDManager manager;
    private final Map<String, LinearSlot> slots = new LinkedHashMap<>();

    public ToyMlp(long seed) {
        this(seed, 10, 20, 2);
    }

    public ToyMlp(long seed, int in, int hidden, int out) {
        manager = NDManager.newBaseManager();
        Random rng = new Random(seed);
        slots.put("lin0", new LinearSlot("lin0", random(rng, hidden, in), random(rng, hidden)));
        slots.put("lin1", new LinearSlot("lin1", random(rng, out, hidden), random(rng, out)));
    }

    private NDArray random(Random rng, int... dims) {
        Shape shape = new Shape(java.util.Arrays.stream(dims).mapToLong(d -> d).toArray());
        float[] values = new float[(int) shape.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rng.nextGaussian() * 0.5f;
        }
        return manager.create(values, shape);
    }

    public NDArray forward(NDArray x) {
        return slots.get("lin1").forward(Activation.relu(slots.get("lin0").forward(x)));
    }

    @Override
    public String modelName() {
        return "ToyMlp";
    }

    @Override
    public Map<String, LinearSlot> linearLayers() {
        return slots;
    }

    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        slots.forEach((name, slot) -> {
            params.put(name + ".weight", slot.weight());
            params.put(name + ".bias", slot.bias());
        });
        return params;
    }

    @Override
    public Set<String> headModules() {
        return Set.of("lin1");
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        slots.values().forEach(LinearSlot::close);
        manager.close();
    }
}
