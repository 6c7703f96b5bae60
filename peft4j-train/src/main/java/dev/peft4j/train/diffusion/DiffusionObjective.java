package dev.peft4j.train.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.models.dit.DitModel;
import dev.peft4j.train.metrics.EvaluatedBatch;
import dev.peft4j.train.metrics.Evaluator;
import dev.peft4j.train.metrics.Evaluators;
import dev.peft4j.train.objective.Objective;
import dev.peft4j.train.vision.ImageExample;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * DDPM's simple objective (Ho et al., <a href="https://arxiv.org/abs/2006.11239">paper</a>, eq. 14) for a DiT:
 * per image a timestep {@code t ~ U{0, T-1}} and noise {@code eps ~ N(0, I)}, {@code x_t = sqrt(a_t) x_0 +
 * sqrt(1 - a_t) eps}, loss {@code mean((eps_theta(x_t, t, y) - eps)^2)}; each label is replaced by the null class
 * with probability {@code labelDropout}, so that one model learns the conditional and the unconditional prediction
 * that classifier-free guidance combines. Images are scaled to [-1, 1] ({@link DiffusionImages}).
 *
 * <p>In training, timesteps, noise and dropped labels come from the engine's generator, which the trainer seeds per
 * micro-batch: a run is repeatable from its seed, a resumed run included. In evaluation they come from a
 * {@link SplittableRandom} seeded per image by {@link #EVALUATION_SEED} and the image itself, so a validation loss is
 * comparable across epochs and runs, whatever the batch size. Evaluated by {@code loss} alone.
 */
public final class DiffusionObjective implements Objective<ImageExample, Void> {

    /** DiT's class dropout probability. */
    public static final float DEFAULT_LABEL_DROPOUT = 0.1f;
    /** Seeds the evaluation's timesteps, noise and dropped labels. */
    public static final long EVALUATION_SEED = 19L;

    private final DitModel model;
    private final PeftModel peft;
    private final NoiseSchedule schedule;
    private final float labelDropout;

    /** @param labelDropout probability in [0, 1) that a label is replaced by the null class */
    public DiffusionObjective(DitModel model, PeftModel peft, NoiseSchedule schedule, float labelDropout) {
        if (!(labelDropout >= 0f && labelDropout < 1f)) {
            throw new IllegalArgumentException("labelDropout must be in [0, 1), found " + labelDropout + "; "
                    + DEFAULT_LABEL_DROPOUT + " is DiT's");
        }
        if (model.config().inChannels() != 1) {
            throw new IllegalArgumentException("The diffusion objective feeds grey images (1 channel); the DiT takes "
                    + model.config().inChannels() + " channels");
        }
        this.model = model;
        this.peft = peft;
        this.schedule = schedule;
        this.labelDropout = labelDropout;
    }

    @Override
    public PeftModel peftModel() {
        return peft;
    }

    @Override
    public NDArray trainingLoss(List<ImageExample> batch, NDManager manager) {
        int n = batch.size();
        NDArray original = DiffusionImages.toTensor(batch, model.config().sampleSize(), manager);
        long[] timesteps = manager.randomInteger(0, schedule.numTrainTimesteps(), new Shape(n), DataType.INT64)
                .toLongArray();
        NDArray noise = manager.randomNormal(0f, 1f, original.getShape(), DataType.FLOAT32);
        float[] draws = manager.randomUniform(0f, 1f, new Shape(n), DataType.FLOAT32).toFloatArray();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = draws[i] < labelDropout ? model.nullClass() : batch.get(i).label();
        }
        return loss(original, timesteps, noise, labels, manager);
    }

    @Override
    public EvaluatedBatch<Void> evaluate(List<ImageExample> batch, NDManager manager) {
        int n = batch.size();
        NDArray original = DiffusionImages.toTensor(batch, model.config().sampleSize(), manager);
        int size = Math.toIntExact(original.getShape().size() / n);
        long[] timesteps = new long[n];
        float[] noise = new float[n * size];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            ImageExample example = batch.get(i);
            SplittableRandom random = new SplittableRandom(EVALUATION_SEED * 1_000_003L
                    + 31L * Arrays.hashCode(example.pixels()) + example.label());
            timesteps[i] = random.nextInt(schedule.numTrainTimesteps());
            for (int p = 0; p < size; p++) {
                noise[i * size + p] = (float) random.nextGaussian();
            }
            labels[i] = random.nextDouble() < labelDropout ? model.nullClass() : example.label();
        }
        NDArray loss = loss(original, timesteps, manager.create(noise, original.getShape()), labels, manager);
        // a float product, widened afterwards, as the classification objective sums its batches
        return new EvaluatedBatch<>(loss.getFloat() * n, n, n, null);
    }

    /** The mean squared error of the predicted noise over every pixel of the batch. */
    private NDArray loss(NDArray original, long[] timesteps, NDArray noise, int[] labels, NDManager manager) {
        int n = timesteps.length;
        float[] signal = new float[n];
        float[] noiseScale = new float[n];
        for (int i = 0; i < n; i++) {
            float alpha = schedule.alphaCumprod(Math.toIntExact(timesteps[i]));
            signal[i] = (float) Math.sqrt(alpha);
            noiseScale[i] = (float) Math.sqrt(1f - alpha);
        }
        Shape perImage = new Shape(n, 1, 1, 1);
        NDArray noisy = original.mul(manager.create(signal, perImage)).add(noise.mul(manager.create(noiseScale,
                perImage))); // x_t, [n, 1, s, s]
        NDArray predicted = model.forward(noisy, manager.create(timesteps), manager.create(labels));
        return predicted.sub(noise).square().mean();
    }

    /** {@code loss}: the mean squared error of the predicted noise. */
    @Override
    public List<Evaluator<? super Void>> evaluators() {
        return List.of(Evaluators.loss());
    }
}
