package dev.peft4j.core.method.probe;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.InPlaceMethod;
import java.util.Map;

/**
 * Registers LinearProbe: id {@code linear-probe}, peft_type {@code LINEAR_PROBE} (peft4j's own; peft has none).
 * Its trained tensors are the model's, saved as {@code base_model.model.<parameter name>}.
 */
public final class LinearProbeMethod extends InPlaceMethod {

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
}
