package dev.peft4j.bench.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdaptableModel;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A model that is one linear slot {@code layer} of shape [m, n] (N(0, 0.02) weight, zero bias): what an adapter sees. */
final class OneLinearModel implements AdaptableModel {

    static final String NAME = "layer";

    private final NDManager manager;
    private final LinearSlot slot;

    OneLinearModel(NDManager parent, int m, int n) {
        this.manager = parent.newSubManager();
        NDArray weight = manager.randomNormal(0f, 0.02f, new Shape(m, n), ai.djl.ndarray.types.DataType.FLOAT32);
        this.slot = new LinearSlot(NAME, weight, manager.zeros(new Shape(m)));
    }

    LinearSlot slot() {
        return slot;
    }

    @Override
    public String modelName() {
        return "OneLinearModel";
    }

    @Override
    public Map<String, LinearSlot> linearLayers() {
        return Map.of(NAME, slot);
    }

    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put(NAME + ".weight", slot.weight());
        params.put(NAME + ".bias", slot.bias());
        return params;
    }

    @Override
    public Set<String> headModules() {
        return Set.of();
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        slot.close();
        manager.close();
    }
}
