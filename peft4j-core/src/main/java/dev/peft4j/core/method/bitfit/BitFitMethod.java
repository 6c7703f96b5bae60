package dev.peft4j.core.method.bitfit;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.Map;

/**
 * Registers BitFit: id {@code bitfit}, peft_type {@code BITFIT} (peft4j's own; peft has none).
 * Its trained tensors are the model's, saved as {@code base_model.model.<parameter name>}.
 */
public final class BitFitMethod implements AdapterMethod {

    public static final String ID = "bitfit";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "BITFIT";
    }

    @Override
    public String prefix() {
        return "bitfit_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        return new BitFitConfig(ConfigFields.stringList(json.get("modules_to_save")));
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        throw new IllegalStateException("bitfit trains base parameters in place and has no per-layer adapter; "
                + "PeftModel never asks it for one (its config is a BaseParameterSelector)");
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        return Map.of();
    }
}
