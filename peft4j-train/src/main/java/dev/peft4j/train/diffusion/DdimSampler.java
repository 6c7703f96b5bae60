package dev.peft4j.train.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.nd.Scalars;
import dev.peft4j.models.nn.LayerScope;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Deterministic DDIM sampling (Song et al., <a href="https://arxiv.org/abs/2010.02502">paper</a>, eta = 0), as
 * diffusers' {@code DDIMScheduler} with its defaults: "leading" timesteps {@code [(steps - 1) k, ..., k, 0]} with
 * {@code k = T / steps}, the predicted {@code x_0 = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t)} clipped to [-1, 1]
 * ({@code clip_sample}), then {@code x_prev = sqrt(a_prev) x_0 + sqrt(1 - a_prev) eps}, with {@code a_prev = 1}
 * after the last step ({@code set_alpha_to_one}); {@code a} is the schedule's alphaCumprod.
 *
 * <p>The initial noise comes from a {@link SplittableRandom} seeded by the caller, a pure-Java generator, so the same
 * seed gives the same images on every machine; with guidance 1 no unconditional pass is made.
 */
public final class DdimSampler {

    private final NoiseSchedule schedule;
    private final int[] timesteps;
    private final int stride;

    /** @param steps denoising steps, 1 to the schedule's timesteps (diffusers' {@code num_inference_steps}) */
    public DdimSampler(NoiseSchedule schedule, int steps) {
        int total = schedule.numTrainTimesteps();
        if (steps < 1 || steps > total) {
            throw new IllegalArgumentException("DDIM steps must be in [1, " + total + "] for a " + total
                    + "-step schedule, found " + steps + "; 50 is diffusers' usual choice");
        }
        this.schedule = schedule;
        this.stride = total / steps;
        this.timesteps = new int[steps];
        for (int i = 0; i < steps; i++) {
            timesteps[i] = (steps - 1 - i) * stride; // "leading" spacing, steps_offset 0
        }
    }

    /** The timesteps visited, from the noisiest down to 0. */
    public int[] timesteps() {
        return Arrays.copyOf(timesteps, timesteps.length);
    }

    /**
     * Images [labels.length, c, s, s] in [-1, 1], one per label, from seeded Gaussian noise.
     *
     * @param labels a class per image (the null class gives an unconditional sample)
     * @param guidanceScale classifier-free guidance's w (1: the conditional prediction alone)
     * @param seed seeds the initial noise
     * @param manager receives the result; each step's tensors are freed as it ends
     */
    public NDArray sample(NoisePredictor predictor, int[] labels, float guidanceScale, long seed, NDManager manager) {
        for (int label : labels) {
            if (label < 0 || label > predictor.nullClass()) {
                throw new IllegalArgumentException("Label " + label + " is outside [0, " + predictor.nullClass()
                        + "]: the model has " + predictor.nullClass() + " classes and the null class "
                        + predictor.nullClass());
            }
        }
        if (!Float.isFinite(guidanceScale)) {
            throw new IllegalArgumentException("guidanceScale must be finite, found " + guidanceScale);
        }
        int s = predictor.imageSize();
        Shape shape = new Shape(labels.length, predictor.channels(), s, s);
        return sample(predictor, labels, guidanceScale, initialNoise(shape, seed, manager));
    }

    /** Runs the chain from {@code noise} [batch, c, s, s] (on the caller's manager); the result lands beside it. */
    public NDArray sample(NoisePredictor predictor, int[] labels, float guidanceScale, NDArray noise) {
        // a copy, so that the caller's noise survives; each step frees its input and intermediates (LayerScope)
        NDArray x = noise.duplicate();
        for (int t : timesteps) {
            x = LayerScope.freeing(x, in -> step(predictor, in, t, labels, guidanceScale));
        }
        return LayerScope.freeing(x, in -> in.clip(-1f, 1f)); // clip's scalar operands go with the scope too
    }

    private NDArray step(NoisePredictor predictor, NDArray x, int t, int[] labels, float guidanceScale) {
        NDManager manager = x.getManager();
        long[] ts = new long[labels.length];
        Arrays.fill(ts, t);
        NDArray timestep = manager.create(ts);
        NDArray classes = manager.create(labels);
        NDArray eps = guidanceScale == 1f ? predictor.predictNoise(x, timestep, classes)
                : ClassifierFreeGuidance.predict(predictor, x, timestep, classes, guidanceScale);
        float alpha = schedule.alphaCumprod(t);
        int previous = t - stride;
        float alphaPrevious = previous >= 0 ? schedule.alphaCumprod(previous) : 1f;
        NDArray predictedOriginal = Scalars.div(x.sub(Scalars.mul(eps, (float) Math.sqrt(1f - alpha))),
                (float) Math.sqrt(alpha)).clip(-1f, 1f);
        return Scalars.mul(predictedOriginal, (float) Math.sqrt(alphaPrevious))
                .add(Scalars.mul(eps, (float) Math.sqrt(1f - alphaPrevious)));
    }

    /** Standard normal values from {@code SplittableRandom(seed)}, row-major. */
    static NDArray initialNoise(Shape shape, long seed, NDManager manager) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return manager.create(values, shape);
    }
}
