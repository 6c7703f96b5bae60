package dev.peft4j.core.adapter;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Implemented by configs of methods that train the model's own parameters in place instead of adding
 * per-slot layers: BitFit (biases), full fine-tuning (everything) and the linear probe (the head).
 *
 * <p>{@link PeftModel} attaches no slot layer for such a config (it targets {@link TargetModules#none()}), snapshots the selected tensors the way it does modules to save, restores them on
 * disable, delete and unload, and saves them under {@code base_model.model.<parameter name>}.
 * Parameters that also match {@code modulesToSave()} stay with the modules to save.
 */
public interface BaseParameterSelector extends AdapterConfig {

    /** Whether the model parameter {@code name} trains in place; {@code inHead}: it belongs to a head module. */
    boolean selects(String name, boolean inHead);

    /**
     * Whether the selection counts as head parameters (the linear probe) rather than as the adapter's
     * trainable figure (BitFit, full fine-tuning). Default: adapter.
     */
    default boolean countsAsHead() {
        return false;
    }

    /**
     * Refuses a selection that cannot train, with a message naming what was expected, what was found and what to do;
     * called when the adapter attaches, before the emptiness check. Default: every selection is fine.
     *
     * @param modelName the model's name, for messages
     * @param selected the shapes of the parameters {@link #selects} picked (outside the modules to save)
     * @param parameters the shapes of all the model's parameters, in model order
     */
    default void checkSelection(String modelName, Map<String, Shape> selected, Map<String, Shape> parameters) {
    }

    /** No linear layer gets a layer of its own: the selected parameters train where they are. */
    @Override
    default TargetModules targetModules() {
        return TargetModules.none();
    }

    @Override
    default List<String> excludeModules() {
        return List.of();
    }

    /** None: the method is defined by what {@link #selects} picks. */
    @Override
    default Map<String, Object> methodFields() {
        return new LinkedHashMap<>();
    }
}
