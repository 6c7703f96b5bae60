package dev.peft4j.apps.vision;

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

    private final VitJudge judge;

    /** @param normalization the one the ViT was trained with (Fashion-MNIST's for the shipped checkpoints) */
    public FrechetVitDistance(VitModel vit, Normalization normalization) {
        this.judge = new VitJudge(vit, normalization);
    }

    /** The squared Fréchet distance between the features of two sets of at least 2 images each. */
    public double between(List<ImageExample> first, List<ImageExample> second) {
        return FrechetDistance.between(statistics(first), statistics(second));
    }

    public GaussianStatistics statistics(List<ImageExample> images) {
        return GaussianStatistics.of(features(images));
    }

    /** The class-token features [n, hidden] in double, in inference mode (no dropout). */
    public double[][] features(List<ImageExample> images) {
        return judge.judge(images).features();
    }
}
