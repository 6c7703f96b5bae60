package dev.peft4j.core.adapter;

import ai.djl.ndarray.types.Shape;
import java.util.Map;

/**
 * The shared part of the methods that train the model's own parameters in place (BitFit, full fine-tuning, the linear
 * probe): their configs are {@link BaseParameterSelector}s, so they attach no per-slot layer and save no per-slot
 * tensors; the trained parameters are saved as {@code base_model.model.<parameter name>}. A subclass gives its id,
 * {@code peft_type}, prefix and config reader.
 */
public abstract class InPlaceMethod implements AdapterMethod {

    @Override
    public final AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context) {
        throw new IllegalStateException(id() + " trains base parameters in place and has no per-layer adapter; "
                + "PeftModel never asks it for one (its config is a BaseParameterSelector)");
    }

    @Override
    public final Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        return Map.of();
    }
}
