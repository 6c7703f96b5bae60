package dev.peft4j.apps.diffusion;

import dev.peft4j.apps.vision.VitJudge;
import dev.peft4j.train.diffusion.NoisePredictor;
import dev.peft4j.train.vision.ImageExample;
import java.util.List;

/**
 * The figures of the paper's Table VI at this machine's scale, with the shipped ViT classifier as the judge
 * ({@link VitJudge}) and seeded DDIM sampling with guidance ({@link ImageSampling}):
 * <ul>
 *   <li>subject fidelity: the mean cosine similarity of ViT class-token features between generated images of the
 *       concept's row and real images of the concept (DreamBooth's DINO / CLIP-I figure), against the real test
 *       images (reported) and against held-out training images that are not the shots (for choosing learning
 *       rates);</li>
 *   <li>recognition: the share of the generated concept images that the ViT classifies as the concept;</li>
 *   <li>prior preservation: per trained class, the share of its generated images that the ViT classifies as that
 *       class, averaged over the classes; the same seeds for the base and the personalised model.</li>
 * </ul>
 */
public final class PersonalisationMetrics {

    /**
     * How the figures are sampled.
     *
     * @param samples generated images of the concept
     * @param priorPerClass generated images of each trained class for prior preservation, 0 to skip it
     * @param sampling DDIM steps and guidance
     * @param seed seeds every chain: the concept's by {@code seed}, trained label {@code l}'s by {@code seed + 1 + l}
     */
    public record Evaluation(int samples, int priorPerClass, ImageSampling sampling, long seed) {

        public Evaluation {
            if (samples < 2) {
                throw new IllegalArgumentException("Expected at least 2 generated concept images, found " + samples);
            }
            if (priorPerClass < 0) {
                throw new IllegalArgumentException("Prior images per class must be >= 0, found " + priorPerClass);
            }
        }
    }

    /** The generated concept images and their figures. */
    public record ConceptFigures(List<ImageExample> images, double subjectFidelity, double validationFidelity,
            double recognition) {
    }

    /** Prior preservation: the mean over trained classes, and each class's share in label order. */
    public record PriorFigures(double mean, double[] perClass) {
    }

    private final VitJudge judge;
    private final DitBase base;
    private final Evaluation evaluation;
    private final double[] testCentre;
    private final double[] validationCentre;

    /** @param concept the concept's real images; their features are taken once, here */
    PersonalisationMetrics(VitJudge judge, DitBase base, ConceptImages concept, Evaluation evaluation) {
        this.judge = judge;
        this.base = base;
        this.evaluation = evaluation;
        this.testCentre = unitCentre(judge.judge(concept.test()).features());
        this.validationCentre = unitCentre(judge.judge(concept.validation()).features());
    }

    /** The figures of {@code samples} images of {@code label} (the concept's row) from {@code model}. */
    ConceptFigures concept(NoisePredictor model, int label, int conceptClass) {
        List<ImageExample> images = evaluation.sampling().generate(model, label, evaluation.samples(),
                evaluation.seed(), label);
        VitJudge.Verdict verdict = judge.judge(images);
        double[] centre = unitCentre(verdict.features());
        return new ConceptFigures(images, dot(centre, testCentre), dot(centre, validationCentre),
                share(verdict.predicted(), conceptClass));
    }

    /** The subject fidelity of real images (the shots: the ceiling a generator of the concept could reach). */
    double realFidelity(List<ImageExample> images) {
        return dot(unitCentre(judge.judge(images).features()), testCentre);
    }

    /** Prior preservation of {@code model}: {@link Evaluation#priorPerClass()} images per trained class. */
    PriorFigures prior(NoisePredictor model) {
        double[] perClass = new double[base.trainedLabels()];
        double sum = 0;
        for (int label = 0; label < perClass.length; label++) {
            List<ImageExample> images = evaluation.sampling().generate(model, label, evaluation.priorPerClass(),
                    evaluation.seed() + 1 + label, label);
            perClass[label] = share(judge.judge(images).predicted(), base.trainedClasses()[label]);
            sum += perClass[label];
        }
        return new PriorFigures(sum / perClass.length, perClass);
    }

    /**
     * The mean pairwise cosine similarity of two sets of features: with {@code u_i}, {@code v_j} the unit vectors,
     * {@code mean_ij <u_i, v_j> = <mean_i u_i, mean_j v_j>}, so it is the dot product of the two unit centres.
     */
    static double meanCosine(double[][] first, double[][] second) {
        return dot(unitCentre(first), unitCentre(second));
    }

    /** The mean of the rows scaled to unit length (a zero row counts as zero). */
    static double[] unitCentre(double[][] rows) {
        if (rows.length == 0) {
            throw new IllegalArgumentException("Expected at least one image's features, found none");
        }
        double[] centre = new double[rows[0].length];
        for (double[] row : rows) {
            double norm = Math.sqrt(dot(row, row));
            for (int j = 0; j < row.length && norm > 0; j++) {
                centre[j] += row[j] / norm / rows.length;
            }
        }
        return centre;
    }

    /** The share of {@code predicted} equal to {@code label}. */
    static double share(int[] predicted, int label) {
        int hits = 0;
        for (int p : predicted) {
            hits += p == label ? 1 : 0;
        }
        return predicted.length == 0 ? Double.NaN : (double) hits / predicted.length;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
