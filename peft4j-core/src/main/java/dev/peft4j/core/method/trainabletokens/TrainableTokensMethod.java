package dev.peft4j.core.method.trainabletokens;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.InPlaceMethod;
import dev.peft4j.core.adapter.TrainingHook;
import java.util.Map;

/**
 * Registers trainable tokens: id {@code trainable_tokens}, peft_type {@code TRAINABLE_TOKENS} (peft's, from 0.15),
 * tensor {@code base_model.model.<embedding module>.trainable_tokens_delta} {@code [len(token_indices), dim]} (peft's
 * key for the method on its own), the trained rows' values. The table trains in place; its training hook puts the
 * other rows back after every step.
 */
public final class TrainableTokensMethod extends InPlaceMethod {

    public static final String ID = "trainable_tokens";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String peftType() {
        return "TRAINABLE_TOKENS";
    }

    @Override
    public String prefix() {
        return "trainable_tokens_";
    }

    @Override
    public AdapterConfig configFromJson(Map<String, Object> json) {
        if (!ConfigFields.flag(json, "init_weights", true)) {
            throw new ConfigFields.FieldException("init_weights", "true (the rows start as the table's own)",
                    "false (random rows)", "peft4j starts the rows from the table; save the adapter with "
                            + "init_weights=True (the trained rows are in the file either way)");
        }
        return new TrainableTokensConfig(ConfigFields.targetModules(json), ConfigFields.indexList(json,
                "token_indices"), ConfigFields.stringList(json, "modules_to_save"));
    }

    @Override
    public TrainingHook trainingHook(AdapterConfig config, Map<String, NDArray> trained,
            Map<String, float[]> originals) {
        return new OtherRowsReset(((TrainableTokensConfig) config).tokenIndices(), trained, originals);
    }
}
