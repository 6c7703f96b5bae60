package dev.peft4j.core.adapter;

/**
 * Implemented by configs of methods that train the model's own parameters in place instead of adding
 * per-slot layers: BitFit (biases), full fine-tuning (everything) and the linear probe (the head).
 *
 * <p>{@link PeftModel} attaches no slot layer for such a config ({@code targetModules()} is not
 * consulted), snapshots the selected tensors the way it does modules to save, restores them on
 * disable, delete and unload, and saves them under {@code base_model.model.<parameter name>}.
 * Parameters that also match {@code modulesToSave()} stay with the modules to save.
 */
public interface BaseParameterSelector {

    /** Whether the model parameter {@code name} trains in place; {@code inHead}: it belongs to a head module. */
    boolean selects(String name, boolean inHead);

    /**
     * Whether the selection counts as head parameters (the linear probe) rather than as the adapter's
     * trainable figure (BitFit, full fine-tuning). Default: adapter.
     */
    default boolean countsAsHead() {
        return false;
    }
}
