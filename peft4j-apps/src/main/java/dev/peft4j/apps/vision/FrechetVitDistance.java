package dev.peft4j.apps.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.vision.ImageExample;
import dev.peft4j.train.vision.Normalization;
import java.util.List;

/**
 * The "Fréchet ViT distance": FID's recipe with the ViT classifier pretrained here in place of Inception. Each image
 * becomes the ViT's final class-token vector (what its head reads, {@link VitModel#classToken}), and two sets of
 * images are compared by the {@link FrechetDistance} of their features' Gaussian statistics. Lower is closer; it is
 * biased upwards for small sets, so compare figures only at equal set sizes, beside the real-versus-real floor.
 */
public final class FrechetVitDistance {

    private static final int BATCH = 256;

    private final VitModel vit;
    private final Normalization normalization;

    /** @param normalization the one the ViT was trained with (Fashion-MNIST's for the shipped checkpoints) */
    public FrechetVitDistance(VitModel vit, Normalization normalization) {
        this.vit = vit;
        this.normalization = normalization;
    }

    /** The squared Fréchet distance between the features of two sets of at least 2 images each. */
    public double between(List<ImageExample> first, List<ImageExample> second) {
        return FrechetDistance.between(statistics(first), statistics(second));
    }

    public GaussianStatistics statistics(List<ImageExample> images) {
        return GaussianStatistics.of(features(images));
    }

    /** The class-token features [n, hidden] in double, in inference mode (no dropout), batch by batch. */
    public double[][] features(List<ImageExample> images) {
        int side = vit.config().imageSize();
        int size = side * side;
        int hidden = vit.config().hiddenSize();
        double[][] features = new double[images.size()][];
        for (int start = 0; start < images.size(); start += BATCH) {
            List<ImageExample> batch = images.subList(start, Math.min(images.size(), start + BATCH));
            float[] values = new float[batch.size() * size];
            for (int i = 0; i < batch.size(); i++) {
                byte[] pixels = batch.get(i).pixels();
                if (pixels.length != size) {
                    throw new IllegalArgumentException("Image " + (start + i) + " has " + pixels.length
                            + " pixels but the ViT takes " + size + " (" + side + " x " + side + ")");
                }
                for (int p = 0; p < size; p++) {
                    values[i * size + p] = (Byte.toUnsignedInt(pixels[p]) / 255f - normalization.mean())
                            / normalization.std();
                }
            }
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray tokens = vit.classToken(manager.create(values, new Shape(batch.size(), size)), false);
                float[] flat = tokens.toFloatArray(); // [batch, hidden]
                for (int i = 0; i < batch.size(); i++) {
                    double[] row = new double[hidden];
                    for (int j = 0; j < hidden; j++) {
                        row[j] = flat[i * hidden + j];
                    }
                    features[start + i] = row;
                }
            }
        }
        return features;
    }
}
