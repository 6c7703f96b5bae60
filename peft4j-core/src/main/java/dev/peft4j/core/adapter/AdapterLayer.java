package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.nd.Tensors;
import java.util.Map;

/**
 * One adapter's state for one linear slot: the per-method math (LoLDU, LoRA, ...).
 *
 * <p>Every method is in delta form: the slot multiplies by its own frozen base {@code W} and
 * {@link #forward(NDArray, NDArray)} adds the adapter's change to that output. No layer keeps a second dense copy
 * of the weight, and a method whose init is an identity adds exactly zero at init.
 */
public interface AdapterLayer extends AutoCloseable {

    /**
     * Returns {@code baseOut} plus this adapter's path for input {@code x} ([..., n] to [..., m]). {@code baseOut} is
     * the slot's own fresh result, which the layer may add into in place when no gradient is recorded.
     */
    NDArray forward(NDArray x, NDArray baseOut);

    /** The dense weight [m, n] this adapter defines ({@code W_eff}), for merging. */
    NDArray mergedWeight();

    /** The tensors that train, keyed by their file name (e.g. {@code loldu_z}). */
    Map<String, NDArray> trainableParameters();

    /** Everything saved with the adapter, keyed by file name; a superset of the trainable ones. */
    Map<String, NDArray> stateTensors(boolean portable);

    /**
     * Copies the saved values of the trainable tensors ({@code state} has the keys of {@link #stateTensors}, checked
     * against the method's shapes) into this layer; the frozen tensors were rebuilt when the layer was created.
     */
    default void loadState(Map<String, NDArray> state) {
        trainableParameters().forEach((key, tensor) -> Tensors.overwrite(tensor, state.get(key).toFloatArray()));
    }

    @Override
    void close();
}
