package dev.peft4j.core.method.probe;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.Map;

/**
 * Registers LinearProbe: id {@code linear-probe}, peft_type {@code LINEAR_PROBE} (peft4j's own; peft has none).
 * Its trained tensors are the model's, saved as {@code base_model.model.<parameter name>}.
 */
public final class LinearProbeMethod implements AdapterMethod {

    public static final String ID = "linear-probe";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "LINEAR_PROBE";
    }

    @Override
    public String prefix() {
        return "linear_probe_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        return new LinearProbeConfig();
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        throw new IllegalStateException("linear-probe trains base parameters in place and has no per-layer adapter; "
                + "PeftModel never asks it for one (its config is a BaseParameterSelector)");
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        return Map.of();
    }
}
