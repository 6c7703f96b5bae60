package dev.peft4j.core.method.full;

import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.InPlaceMethod;
import java.util.Map;

/**
 * Registers full fine-tuning: id {@code full}, peft_type {@code FULL} (peft4j's own; peft has none).
 * Its trained tensors are the model's, saved as {@code base_model.model.<parameter name>}.
 */
public final class FullFineTuneMethod extends InPlaceMethod {

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
        return new FullFineTuneConfig(ConfigFields.stringList(json, "modules_to_save"));
    }
}
