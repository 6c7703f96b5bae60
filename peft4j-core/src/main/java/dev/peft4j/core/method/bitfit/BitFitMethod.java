package dev.peft4j.core.method.bitfit;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.InPlaceMethod;
import java.util.Map;

/**
 * Registers BitFit: id {@code bitfit}, peft_type {@code BITFIT} (peft4j's own; peft has none).
 * Its trained tensors are the model's, saved as {@code base_model.model.<parameter name>}.
 */
public final class BitFitMethod extends InPlaceMethod {

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
        return new BitFitConfig(ConfigFields.stringList(json, "modules_to_save"));
    }
}
