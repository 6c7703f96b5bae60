package dev.peft4j.core.method.full;

import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.AdapterMethod;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.Map;

/**
 * Registers full fine-tuning: id {@code full}, peft_type {@code FULL} (peft4j's own; peft has none).
 * Its trained tensors are the model's, saved as {@code base_model.model.<parameter name>}.
 */
public final class FullFineTuneMethod implements AdapterMethod {

    public static final String ID = "full";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "FULL";
    }

    @Override
    public String prefix() {
        return "full_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        return new FullFineTuneConfig(ConfigFields.stringList(json.get("modules_to_save")));
    }

    @Override
    public AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        throw new IllegalStateException("full trains base parameters in place and has no per-layer adapter; "
                + "PeftModel never asks it for one (its config is a BaseParameterSelector)");
    }

    @Override
    public Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        return Map.of();
    }
}
