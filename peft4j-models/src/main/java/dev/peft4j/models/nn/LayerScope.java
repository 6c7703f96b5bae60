package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.UnaryOperator;

/**
 * Runs one layer of a forward so that its intermediates, and its input (the forward's own previous output), are freed
 * when it returns, in training as in inference.
 *
 * <p>Why: DJL keeps an op's result in the manager of its first operand until that manager closes, so a forward held
 * every layer's activations to its end: 10,000 rows of 16 tokens on MiniLM needed over 24 GB (the serving benchmark
 * ran out of memory). Under autograd this is safe too: closing a DJL array drops only Java's reference to the tensor,
 * while autograd holds its own reference to every tensor its backward needs (PyTorch's saved variables), so what is
 * freed is exactly what nothing needs any more, as when Python drops a layer's locals. Not for layers that keep
 * tensors beyond the call (a key/value cache): those would be freed with the scope.
 */
public final class LayerScope {

    private LayerScope() {
    }

    /** {@code layer.apply(x)} with everything but the result freed; the result lands where {@code x} was. */
    public static NDArray freeing(NDArray x, UnaryOperator<NDArray> layer) {
        NDManager owner = x.getManager();
        try (NDManager scope = owner.newSubManager()) {
            x.attach(scope);
            NDArray out = layer.apply(x);
            out.attach(owner);
            return out;
        }
    }
}
