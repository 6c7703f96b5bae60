package dev.peft4j.apps.diffusion;

import dev.peft4j.apps.vision.FrechetDistance;
import dev.peft4j.apps.vision.GaussianStatistics;
import dev.peft4j.apps.vision.VitJudge;
import dev.peft4j.models.dit.DitModel;
import dev.peft4j.train.diffusion.NoisePredictor;
import dev.peft4j.train.vision.ImageExample;
import dev.peft4j.train.vision.ImageSplit;
import java.util.ArrayList;
import java.util.List;

/**
 * The quality of a pretrained DiT, class by class, judged by the shipped ViT: the share of its samples the ViT
 * recognises as the class asked for (beside the ViT's own accuracy on as many real test images of it), and the
 * Fréchet ViT distance between its samples and the class's real test images, beside the real-versus-real floor at the
 * same set sizes (the distance is biased upwards for small sets, so only the pair is meaningful).
 */
public final class DitQuality {

    /**
     * One trained class's figures.
     *
     * @param label the DiT's label
     * @param originalClass the data set's class it stands for
     * @param name its name in the class table
     * @param recognition share of the generated images the ViT classifies as {@code originalClass}
     * @param realRecognition the same share for {@code perClass} real test images of the class
     * @param frechet Fréchet ViT distance of the generated images to the reference real images
     * @param floor the same distance for {@code perClass} other real images (disjoint from the reference)
     * @param generated the generated images, labelled {@code originalClass}
     */
    public record ClassFigures(int label, int originalClass, String name, double recognition, double realRecognition,
            double frechet, double floor, List<ImageExample> generated) {
    }

    private DitQuality() {
    }

    /**
     * @param data the data set the DiT was pretrained on (its test split is the reference)
     * @param labels the DiT labels to measure (trained ones)
     * @param perClass images generated per class; the class needs at least twice as many real test images
     * @param seed seeds the samples of label {@code l} with {@code seed + l}
     */
    public static List<ClassFigures> measure(DitModel model, DitBase base, ImageSplit data, VitJudge judge,
            int[] labels, int perClass, ImageSampling sampling, long seed) {
        if (perClass < 2) {
            throw new IllegalArgumentException("Images per class must be >= 2 for a covariance, found " + perClass);
        }
        List<ClassFigures> figures = new ArrayList<>();
        for (int label : labels) {
            if (label < 0 || label >= base.trainedLabels()) {
                throw new IllegalArgumentException("Label " + label + " is not a trained label of this DiT (0-"
                        + (base.trainedLabels() - 1) + "); spare rows are measured after personalisation");
            }
            int original = base.trainedClasses()[label];
            List<ImageExample> real = data.test().examples().stream().filter(e -> e.label() == original).toList();
            if (real.size() < 2 * perClass) {
                throw new IllegalArgumentException("Class " + original + " has " + real.size() + " test images, "
                        + "fewer than the " + 2 * perClass + " that " + perClass + " per class needs (half for the "
                        + "floor, half as reference); lower the count");
            }
            List<ImageExample> floorSet = real.subList(0, perClass);
            GaussianStatistics reference = GaussianStatistics.of(judge.judge(real.subList(perClass, real.size()))
                    .features());
            List<ImageExample> generated = sampling.generate(NoisePredictor.of(model, null), label, perClass,
                    seed + label, original);
            VitJudge.Verdict fake = judge.judge(generated);
            VitJudge.Verdict realVerdict = judge.judge(floorSet);
            figures.add(new ClassFigures(label, original, base.classTable().get(label),
                    share(fake.predicted(), original), share(realVerdict.predicted(), original),
                    FrechetDistance.between(GaussianStatistics.of(fake.features()), reference),
                    FrechetDistance.between(GaussianStatistics.of(realVerdict.features()), reference), generated));
        }
        return figures;
    }

    private static double share(int[] predicted, int label) {
        long hits = java.util.Arrays.stream(predicted).filter(p -> p == label).count();
        return (double) hits / predicted.length;
    }
}
