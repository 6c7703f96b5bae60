package dev.peft4j.apps.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.train.diffusion.DdimSampler;
import dev.peft4j.train.diffusion.DiffusionImages;
import dev.peft4j.train.diffusion.NoisePredictor;
import dev.peft4j.train.diffusion.NoiseSchedule;
import dev.peft4j.train.vision.ImageExample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Seeded DDIM sampling with classifier-free guidance, as {@code peft4j generate-image} does it, for the images the
 * personalisation figures judge: the same seed and count give the same initial noise, so the base and the
 * personalised model are compared on the same noise.
 *
 * @param steps DDIM steps
 * @param guidance classifier-free guidance scale (DiT samples with 4)
 */
public record ImageSampling(int steps, float guidance) {

    /** Images per batch of the sampler: bounds the memory of a chain, not its result. */
    private static final int CHUNK = 64;

    public ImageSampling {
        new DdimSampler(NoiseSchedule.ddpmLinear(), steps); // checks the steps now
        if (!Float.isFinite(guidance)) {
            throw new IllegalArgumentException("The guidance scale must be finite, found " + guidance
                    + "; DiT samples with 4");
        }
    }

    /**
     * {@code count} images of {@code label}, labelled {@code exampleLabel} (what the caller will call them), seeded
     * by {@code seed}: chunk {@code c} of {@value #CHUNK} images by {@code seed * 1000 + c}.
     */
    public List<ImageExample> generate(NoisePredictor model, int label, int count, long seed, int exampleLabel) {
        DdimSampler sampler = new DdimSampler(NoiseSchedule.ddpmLinear(), steps);
        List<ImageExample> images = new ArrayList<>(count);
        for (int start = 0, chunk = 0; start < count; start += CHUNK, chunk++) {
            int[] labels = new int[Math.min(CHUNK, count - start)];
            Arrays.fill(labels, label);
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray batch = sampler.sample(model, labels, guidance, seed * 1_000L + chunk, manager);
                images.addAll(DiffusionImages.toExamples(batch, exampleLabel));
            }
        }
        return images;
    }
}
