package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.Set;

/**
 * What core needs from a model: its linear layers by Hugging Face module path, its parameters by
 * name, and which modules are output heads. Core knows nothing else about any model.
 */
public interface AdaptableModel extends AutoCloseable {

    /** A short name for messages, e.g. {@code BertModel}. */
    String modelName();

    /** Linear layers keyed by module path, in model order. */
    Map<String, LinearSlot> linearLayers();

    /**
     * Every parameter tensor keyed by its Hugging Face name ({@code <module path>.weight}), in model
     * order, including the weights and biases of the linear slots.
     */
    Map<String, NDArray> parameters();

    /** Module paths (prefixes) of output heads: skipped by {@code all-linear}, trained by probes. */
    Set<String> headModules();

    /** The manager that owns the model's tensors. */
    NDManager manager();

    @Override
    void close();
}
