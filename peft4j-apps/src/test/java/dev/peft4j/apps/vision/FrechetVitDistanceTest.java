package dev.peft4j.apps.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.vit.PretrainedVit;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.vision.FashionMnist;
import dev.peft4j.train.vision.ImageDataset;
import dev.peft4j.train.vision.ImageExample;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Fréchet distance against closed forms, and the Fréchet ViT distance on real Fashion-MNIST test images with the
 * shipped ViT (the data set is fetched into the default cache on first use).
 */
class FrechetVitDistanceTest {

    @Test
    void aSetIsAtDistanceZeroFromItself() {
        double[][] features = gaussian(new Random(1), 400, new double[] {1, -2, 0.5, 3, 0},
                new double[] {1, 4, 0.25, 2, 9});
        GaussianStatistics stats = GaussianStatistics.of(features);
        double distance = FrechetDistance.between(stats, stats);
        // exactly 0 in exact arithmetic: Tr(2S - 2 (S^1/2 S S^1/2)^1/2) = Tr(2S - 2S); two eigendecompositions in
        // double leave about 1e-15 relative to the trace (16.25 here), so 1e-9 of it is a wide margin
        assertEquals(0, distance, 1e-9 * trace(stats.covariance()), "d(X, X)");
    }

    @Test
    void diagonalGaussiansMatchTheClosedForm() {
        double[] mean1 = {0, 1, 2};
        double[] mean2 = {1, 1, -1};
        double[] var1 = {1, 4, 9};
        double[] var2 = {4, 1, 0.25};
        GaussianStatistics a = new GaussianStatistics(mean1, diagonal(var1));
        GaussianStatistics b = new GaussianStatistics(mean2, diagonal(var2));
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            double dm = mean1[i] - mean2[i];
            double ds = Math.sqrt(var1[i]) - Math.sqrt(var2[i]);
            expected += dm * dm + ds * ds; // 10 + (1 + 1 + 6.25) = 18.25
        }
        // exact statistics, so only the eigendecompositions' rounding (~1e-15 relative) separates the two
        assertEquals(expected, FrechetDistance.between(a, b), 1e-10 * expected);
    }

    @Test
    void aRotatedNonDiagonalCovarianceMatchesTheClosedForm() {
        // S = R diag(4, 1) R^T, far from diagonal, against 4 S with equal means: (S^1/2 4S S^1/2)^1/2 = 2S, so the
        // distance is Tr(S + 4S - 2 * 2S) = Tr(S) = 4 + 1 = 5
        double c = Math.cos(0.7);
        double s = Math.sin(0.7);
        double[][] rotated = {{4 * c * c + s * s, 3 * c * s}, {3 * c * s, 4 * s * s + c * c}};
        double[][] scaled = {{4 * rotated[0][0], 4 * rotated[0][1]}, {4 * rotated[1][0], 4 * rotated[1][1]}};
        double[] zero = {0, 0};
        assertEquals(5, FrechetDistance.between(new GaussianStatistics(zero, rotated),
                new GaussianStatistics(zero, scaled)), 1e-10 * 5); // rounding only, as above
    }

    @Test
    void halvesOfOneClassAreCloserThanTwoClasses() throws IOException {
        ImageDataset test = FashionMnist.load(ArtifactCache.defaultCache()).test();
        List<ImageExample> shirts = test.withClasses(0).examples(); // 1,000 T-shirts/tops
        List<ImageExample> trousers = test.withClasses(1).examples();
        try (NDManager manager = NDManager.newBaseManager(); VitModel vit = PretrainedVit.load(manager)) {
            FrechetVitDistance fvd = new FrechetVitDistance(vit, FashionMnist.NORMALIZATION);
            double floor = fvd.between(shirts.subList(0, 500), shirts.subList(500, 1000));
            double apart = fvd.between(shirts.subList(0, 500), trousers.subList(0, 500));
            System.out.printf(Locale.ROOT, "Frechet ViT distance, 500 vs 500 Fashion-MNIST test images: "
                    + "T-shirt/top halves %.3f (the real-versus-real floor), T-shirt/top vs Trouser %.3f%n",
                    floor, apart);
            assertTrue(floor > 0, "two different sets of images have different statistics: " + floor);
            // the ViT tells the classes apart, so their feature clouds lie far apart, while the halves differ only by
            // sampling: measured 0.706 against 185.6, so 5x is far from either and no CPU's rounding moves it
            assertTrue(apart > 5 * floor, "same class " + floor + " vs different classes " + apart);
        }
    }

    private static double[][] gaussian(Random random, int n, double[] mean, double[] variance) {
        double[][] rows = new double[n][mean.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < mean.length; j++) {
                rows[i][j] = mean[j] + Math.sqrt(variance[j]) * random.nextGaussian();
            }
        }
        return rows;
    }

    private static double[][] diagonal(double[] values) {
        double[][] m = new double[values.length][values.length];
        for (int i = 0; i < values.length; i++) {
            m[i][i] = values[i];
        }
        return m;
    }

    private static double trace(double[][] m) {
        double t = 0;
        for (int i = 0; i < m.length; i++) {
            t += m[i][i];
        }
        return t;
    }
}
