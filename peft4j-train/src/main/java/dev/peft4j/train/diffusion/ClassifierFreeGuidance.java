package dev.peft4j.train.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import dev.peft4j.core.nd.Scalars;

/**
 * Classifier-free guidance (Ho and Salimans, <a href="https://arxiv.org/abs/2207.12598">paper</a>):
 * {@code eps = eps_uncond + w (eps_cond - eps_uncond)}, both predictions from one forward over the batch twice, the
 * second copy labelled with the null class (DiT's {@code forward_with_cfg}). {@code w = 1} is the conditional
 * prediction, {@code w = 0} the unconditional one, {@code w > 1} pushes towards the class.
 */
public final class ClassifierFreeGuidance {

    private ClassifierFreeGuidance() {
    }

    /**
     * @param noisy [batch, c, s, s]
     * @param timesteps [batch]
     * @param labels [batch] integer classes
     * @param scale the guidance scale w
     * @return the guided noise [batch, c, s, s]
     */
    public static NDArray predict(NoisePredictor predictor, NDArray noisy, NDArray timesteps, NDArray labels,
            float scale) {
        long batch = noisy.getShape().get(0);
        NDArray nulls = labels.zerosLike().add(predictor.nullClass());
        NDArray both = predictor.predictNoise(NDArrays.concat(new NDList(noisy, noisy)),
                NDArrays.concat(new NDList(timesteps, timesteps)), NDArrays.concat(new NDList(labels, nulls)));
        NDList halves = both.split(new long[] {batch}, 0);
        NDArray conditional = halves.get(0);
        NDArray unconditional = halves.get(1);
        return unconditional.add(Scalars.mul(conditional.sub(unconditional), scale));
    }
}
