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

    /**
     * What adapter files write as {@code base_model_name_or_path}, the way Hugging Face names a base so that Python's
     * peft can resolve it: a hub id (e.g. {@code sentence-transformers/all-MiniLM-L6-v2}), the directory the weights
     * were loaded from, or the id of a model peft4j ships (e.g. {@code llama-en-4m}). Models of the tests may keep
     * the default, {@link #modelName()}.
     */
    default String baseModelNameOrPath() {
        return modelName();
    }

    /** peft's {@code task_type} for adapters of this model, or null where peft has none (image classification). */
    default TaskType taskType() {
        return null;
    }

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
