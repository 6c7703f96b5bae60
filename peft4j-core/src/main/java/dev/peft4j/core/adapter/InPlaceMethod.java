package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
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

    /**
     * The hook this method runs in the training loop of one in-place adapter; none by default. {@link PeftModel}
     * asks this one, not {@link AdapterMethod#trainingHook}, since such an adapter has no layers.
     *
     * @param config the adapter's config
     * @param trained the model's tensors the adapter trains in place, by parameter name (they hold the adapter's
     *     values while it is active, which it is while it trains)
     * @param originals their values before any adapter trained them, by parameter name; read only
     */
    public TrainingHook trainingHook(AdapterConfig config, Map<String, NDArray> trained,
            Map<String, float[]> originals) {
        return TrainingHook.NONE;
    }

    @Override
    public final Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable) {
        return Map.of();
    }
}
