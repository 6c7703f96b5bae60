package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * Implemented by layers whose adapter owns tensors shared by all its slots, saved once per adapter
 * under {@code base_model.<key>} rather than per module (peft's VeRA {@code base_model.vera_A}).
 * Every layer of one adapter returns the same tensors; the file keeps one copy.
 */
public interface SharedAdapterState {

    /** The shared tensors to save, keyed by their name after {@code base_model.} (empty: none saved). */
    Map<String, NDArray> sharedTensors();

    /** Replaces the shared tensors with saved values (same keys and shapes as {@link #sharedTensors()}). */
    void loadSharedTensors(Map<String, NDArray> saved);
}
