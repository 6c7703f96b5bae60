package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.nd.Scalars;
import java.util.Map;
import java.util.Objects;

/**
 * Root-mean-square norm over the last axis (Zhang and Sennrich; Llama's {@code LlamaRMSNorm}):
 * {@code x / sqrt(mean(x^2) + eps) * gamma}, no centring and no shift. Computed in the input's precision.
 */
public final class RmsNorm implements Norm {

    private final NDArray gamma;
    private final float eps;

    /** @param gamma [hidden] scale */
    public RmsNorm(NDArray gamma, float eps) {
        this.gamma = Objects.requireNonNull(gamma, "gamma");
        if (gamma.getShape().dimension() != 1) {
            throw new IllegalArgumentException("RmsNorm needs a 1-D gamma, found " + gamma.getShape());
        }
        if (!(eps > 0)) {
            throw new IllegalArgumentException("RmsNorm eps must be > 0, found " + eps);
        }
        this.eps = eps;
    }

    /** The norm whose scale is {@code prefix.weight} (Hugging Face's name). */
    public static RmsNorm fromParameters(Map<String, NDArray> parameters, String prefix, float eps) {
        return new RmsNorm(LayerNorm.require(parameters, prefix + ".weight"), eps);
    }

    @Override
    public NDArray forward(NDArray x) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true); // [..., 1]
        // eps as an engine-owned scalar: see Scalars for why a Java Number must not enter a differentiated graph
        NDArray rms;
        try (NDArray epsilon = Scalars.of(x.getManager(), x, eps)) {
            rms = meanSquare.add(epsilon).sqrt();
        }
        return x.div(rms).mul(gamma);
    }
}
