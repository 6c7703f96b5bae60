package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.Objects;

/**
 * LayerNorm over the last axis, {@code (x - mean) / sqrt(var + eps) * gamma + beta}, through the engine's fused
 * kernel (PyTorch's {@code layer_norm}). The parameters stay the model's tensors, so training and saving see them.
 */
public final class LayerNorm implements Norm {

    private final NDArray gamma;
    private final NDArray beta;
    private final float eps;
    private final Shape normalizedShape;

    /** @param gamma [hidden] scale; @param beta [hidden] shift */
    public LayerNorm(NDArray gamma, NDArray beta, float eps) {
        this.gamma = Objects.requireNonNull(gamma, "gamma");
        this.beta = Objects.requireNonNull(beta, "beta");
        if (!gamma.getShape().equals(beta.getShape()) || gamma.getShape().dimension() != 1) {
            throw new IllegalArgumentException("LayerNorm needs 1-D gamma and beta of one shape, found "
                    + gamma.getShape() + " and " + beta.getShape());
        }
        this.eps = eps;
        this.normalizedShape = new Shape(gamma.getShape().get(0));
    }

    /** The norm whose parameters are {@code prefix.weight} and {@code prefix.bias} (Hugging Face's names). */
    public static LayerNorm fromParameters(Map<String, NDArray> parameters, String prefix, float eps) {
        return new LayerNorm(require(parameters, prefix + ".weight"), require(parameters, prefix + ".bias"), eps);
    }

    static NDArray require(Map<String, NDArray> parameters, String name) {
        NDArray tensor = parameters.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("No parameter " + name + " among the model's tensors");
        }
        return tensor;
    }

    @Override
    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, normalizedShape, gamma, beta, eps).singletonOrThrow();
    }
}
