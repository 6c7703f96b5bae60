package dev.peft4j.core.nd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/**
 * Overwrites a tensor's values in place, for loading saved state, restoring a checkpoint or copying a head.
 *
 * <p>Why not DJL's {@code NDArray.set(float[])}: on the PyTorch engine it swaps the tensor's storage under PyTorch's
 * deprecated {@code AutoNonVariableTypeMode} guard, which bypasses autograd's version counter and prints the engine's
 * deprecation notice on the user's terminal the first time it runs. The full-slice assignment used here is an
 * ordinary in-place copy ({@code index_put_}) that autograd tracks.
 */
public final class Tensors {

    private Tensors() {
    }

    /**
     * Copies {@code values} (row-major, as many as the tensor holds) into {@code tensor}, keeping whether it requires
     * a gradient (PyTorch refuses an in-place write to a leaf that requires one, so the flag is lifted around it).
     */
    public static void overwrite(NDArray tensor, float[] values) {
        long size = tensor.getShape().size();
        if (values.length != size) {
            throw new IllegalArgumentException("Cannot overwrite a tensor of shape " + tensor.getShape() + " (" + size
                    + " values) with " + values.length + " values; pass exactly one value per element");
        }
        boolean requiresGradient = tensor.hasGradient();
        if (requiresGradient) {
            tensor.setRequiresGradient(false);
        }
        try (NDArray source = tensor.getManager().create(values, tensor.getShape())) {
            tensor.set(new NDIndex(":"), source); // a full slice: PyTorch rejects an empty index list
        } finally {
            if (requiresGradient) {
                tensor.setRequiresGradient(true);
            }
        }
    }
}
