package dev.peft4j.models.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TokenSamplerTest {

    private static final double EPS = 1e-6;

    private static TokenSampler sampler(double temperature, int topK, double topP, long seed) {
        return new TokenSampler(GenerationConfig.builder().optTemperature(temperature).optTopK(topK).optTopP(topP)
                .optSeed(seed).build());
    }

    /** Logits whose softmax is the given distribution (up to float rounding). */
    private static float[] logitsOf(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = probabilities[i] == 0 ? Float.NEGATIVE_INFINITY : (float) Math.log(probabilities[i]);
        }
        return logits;
    }

    private static int kept(double[] distribution) {
        return (int) Arrays.stream(distribution).filter(p -> p > 0).count();
    }

    private static void assertDistribution(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], EPS, "token " + i + " of " + Arrays.toString(actual));
        }
        assertEquals(1.0, Arrays.stream(actual).sum(), 1e-12);
    }

    @Test
    void greedyTakesTheArgmaxAndTheLowestIdOnATie() {
        TokenSampler greedy = new TokenSampler(GenerationConfig.builder().build());
        assertEquals(2, greedy.next(0, new float[] {0.1f, -4f, 7f, 6.9f}));
        assertEquals(1, greedy.next(0, new float[] {1f, 3f, 3f, 2f, 3f}));
        assertEquals(1, greedy.next(5, new float[] {Float.NEGATIVE_INFINITY, -1e30f, Float.NEGATIVE_INFINITY}));
        assertEquals(0, greedy.next(0, new float[] {-2f}));
        assertArrayEquals(new double[] {0, 1, 0, 0, 0}, greedy.distribution(new float[] {1f, 3f, 3f, 2f, 3f}));
    }

    @Test
    void greedyIgnoresTopKAndTopP() {
        TokenSampler greedy = sampler(0, 1, 0.01, 1);
        assertEquals(3, greedy.next(0, new float[] {0, 1, 2, 9, 8}));
    }

    @Test
    void rejectsNanPositiveInfinityFullyMaskedAndBadRanges() {
        TokenSampler sampling = sampler(1, 0, 1, 1);
        TokenSampler greedy = sampler(0, 0, 1, 1);
        for (TokenSampler s : new TokenSampler[] {sampling, greedy}) {
            IllegalArgumentException nan = assertThrows(IllegalArgumentException.class,
                    () -> s.next(0, new float[] {1f, Float.NaN}));
            assertTrue(nan.getMessage().contains("found NaN for token 1"), nan.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.next(0, new float[] {Float.POSITIVE_INFINITY}));
            IllegalArgumentException masked = assertThrows(IllegalArgumentException.class,
                    () -> s.next(0, new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}));
            assertTrue(masked.getMessage().contains("found all 2 masked"), masked.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.next(0, new float[0]));
            assertThrows(IllegalArgumentException.class, () -> s.next(0, new float[4], 2, 3));
            assertThrows(IllegalArgumentException.class, () -> s.next(-1, new float[4]));
        }
    }

    @Test
    void temperatureDividesTheLogits() {
        float[] logits = {0f, (float) Math.log(2), -1f};
        for (double t : new double[] {0.25, 0.5, 1, 2, 10}) {
            double[] expected = new double[logits.length];
            double sum = 0;
            for (int i = 0; i < logits.length; i++) {
                expected[i] = Math.exp(logits[i] / t);
                sum += expected[i];
            }
            for (int i = 0; i < logits.length; i++) {
                expected[i] /= sum;
            }
            assertDistribution(expected, sampler(t, 0, 1, 1).distribution(logits));
        }
        // Concretely: two tokens with probabilities 1/3 and 2/3 at T = 1 become 1/5 and 4/5 at T = 0.5.
        assertDistribution(new double[] {0.2, 0.8}, sampler(0.5, 0, 1, 1).distribution(logitsOf(1 / 3.0, 2 / 3.0)));
        // A tiny temperature is (numerically safely) greedy; a large one approaches uniform.
        assertDistribution(new double[] {0, 1, 0}, sampler(1e-300, 0, 1, 1).distribution(logits));
        double[] flat = sampler(1e6, 0, 1, 1).distribution(logits);
        for (double p : flat) {
            assertEquals(1 / 3.0, p, 1e-5);
        }
    }

    @Test
    void topKKeepsExactlyTheKLargestAndRenormalises() {
        Random random = new Random(3);
        float[] logits = new float[50];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) random.nextGaussian() * 3;
        }
        float[] sorted = logits.clone();
        Arrays.sort(sorted);
        for (int k : new int[] {1, 2, 5, 49}) {
            double[] d = sampler(1, k, 1, 1).distribution(logits);
            assertEquals(k, kept(d));
            float kth = sorted[sorted.length - k];
            double sum = 0;
            for (float v : logits) {
                sum += v >= kth ? Math.exp(v) : 0;
            }
            for (int i = 0; i < logits.length; i++) {
                assertEquals(logits[i] >= kth ? Math.exp(logits[i]) / sum : 0, d[i], 1e-12, "token " + i);
            }
        }
        assertEquals(50, kept(sampler(1, 50, 1, 1).distribution(logits)));
        assertEquals(50, kept(sampler(1, 1000, 1, 1).distribution(logits)));
    }

    @Test
    void topKKeepsEveryTieAtTheKthValue() {
        float[] logits = {3f, 2f, 2f, 2f, 1f};
        assertEquals(4, kept(sampler(1, 2, 1, 1).distribution(logits)));
        assertEquals(4, kept(sampler(1, 4, 1, 1).distribution(logits)));
        assertEquals(1, kept(sampler(1, 1, 1, 1).distribution(logits)));
    }

    @Test
    void topKCountsOnlyUnmaskedTokens() {
        float ninf = Float.NEGATIVE_INFINITY;
        double[] d = sampler(1, 2, 1, 1).distribution(new float[] {ninf, 1f, ninf, 0f, ninf});
        assertEquals(2, kept(d));
        assertEquals(0, d[0]);
    }

    @Test
    void topPKeepsTheSmallestNucleus() {
        float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
        assertDistribution(new double[] {0.5 / 0.8, 0.3 / 0.8, 0, 0}, sampler(1, 0, 0.8, 1).distribution(logits));
        assertDistribution(new double[] {0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0},
                sampler(1, 0, 0.81, 1).distribution(logits));
        assertEquals(1, kept(sampler(1, 0, 0.5, 1).distribution(logits)));
        assertEquals(2, kept(sampler(1, 0, 0.5001, 1).distribution(logits)));
        assertEquals(1, kept(sampler(1, 0, 1e-9, 1).distribution(logits)), "always at least one token");
        assertEquals(4, kept(sampler(1, 0, 0.99, 1).distribution(logits)));
        assertEquals(4, kept(sampler(1, 0, 1, 1).distribution(logits)));
    }

    @Test
    void aBoundaryMissedOnlyByFloatRoundingStillClosesTheNucleus() {
        // From float logits, 0.4 comes out as 0.39999999838 and 0.4 + 0.3 as 0.69999999808: within TOP_P_SLACK.
        assertEquals(1, kept(sampler(1, 0, 0.4, 1).distribution(logitsOf(0.4, 0.3, 0.2, 0.1))));
        assertDistribution(new double[] {0.3 / 0.7, 0, 0.4 / 0.7},
                sampler(1, 0, 0.7, 1).distribution(logitsOf(0.3, 0.3, 0.4)));
    }

    @Test
    void topPAdmitsEqualProbabilitiesLowestIdFirst() {
        float[] logits = logitsOf(0.3, 0.4, 0.3);
        assertDistribution(new double[] {0.3 / 0.7, 0.4 / 0.7, 0}, sampler(1, 0, 0.6, 1).distribution(logits));
    }

    @Test
    void topPRunsAfterTemperatureAndTopK() {
        float[] logits = logitsOf(0.5, 0.3, 0.15, 0.05);
        // Without top-k, 0.5 + 0.3 = 0.8 < 0.83 needs a third token; after top-k = 3 renormalises to
        // 0.5/0.95 + 0.3/0.95 = 0.842 >= 0.83, two suffice.
        assertEquals(3, kept(sampler(1, 0, 0.83, 1).distribution(logits)));
        assertDistribution(new double[] {0.5 / 0.8, 0.3 / 0.8, 0, 0}, sampler(1, 3, 0.83, 1).distribution(logits));
        // Temperature 0.5 squares the probabilities before the nucleus: 0.25, 0.09, ... of 0.3650.
        double z = 0.25 + 0.09 + 0.0225 + 0.0025;
        assertTrue(0.25 / z < 0.7 && (0.25 + 0.09) / z >= 0.7);
        assertDistribution(new double[] {0.25 / 0.34, 0.09 / 0.34, 0, 0}, sampler(0.5, 0, 0.7, 1).distribution(logits));
    }

    /**
     * Against a plain reference (sort every token by falling value, lowest id first on a tie): random logits, some
     * rounded to produce ties, some with long flat tails, every combination of top-k and top-p.
     */
    @Test
    void filtersMatchASortEverythingReference() {
        Random random = new Random(99);
        for (int trial = 0; trial < 400; trial++) {
            int vocab = 1 + random.nextInt(300);
            float[] logits = new float[vocab];
            double scale = new double[] {0.1, 1, 4, 20}[random.nextInt(4)];
            boolean rounded = random.nextBoolean();
            for (int i = 0; i < vocab; i++) {
                double v = random.nextGaussian() * scale;
                logits[i] = rounded ? Math.round(v) : (float) v;
                if (random.nextInt(20) == 0) {
                    logits[i] = Float.NEGATIVE_INFINITY;
                }
            }
            logits[random.nextInt(vocab)] = 0f; // at least one token unmasked
            double temperature = new double[] {0.3, 1, 1.7}[random.nextInt(3)];
            int topK = random.nextBoolean() ? 0 : 1 + random.nextInt(vocab + 2);
            double topP = random.nextBoolean() ? 1 : new double[] {0.05, 0.5, 0.9, 0.999}[random.nextInt(4)];
            double[] expected = reference(logits, temperature, topK, topP);
            double[] actual = sampler(temperature, topK, topP, 1).distribution(logits);
            for (int i = 0; i < vocab; i++) {
                assertEquals(expected[i] > 0, actual[i] > 0, "token " + i + " kept? trial " + trial);
                assertEquals(expected[i], actual[i], 1e-12, "token " + i + ", trial " + trial);
            }
        }
    }

    /** The filters done the obvious way, for {@link #filtersMatchASortEverythingReference()}. */
    private static double[] reference(float[] logits, double temperature, int topK, double topP) {
        int vocab = logits.length;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        Integer[] order = new Integer[vocab];
        for (int i = 0; i < vocab; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> logits[a] != logits[b] ? Float.compare(logits[b], logits[a]) : a - b);
        int unmasked = 0;
        for (float v : logits) {
            unmasked += v > Float.NEGATIVE_INFINITY ? 1 : 0;
        }
        double[] p = new double[vocab];
        float kth = topK > 0 && topK < unmasked ? logits[order[topK - 1]] : Float.NEGATIVE_INFINITY;
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            if (logits[i] > Float.NEGATIVE_INFINITY && logits[i] >= kth) {
                p[i] = Math.exp(((double) logits[i] - max) / temperature);
                sum += p[i];
            }
        }
        for (int i = 0; i < vocab; i++) {
            p[i] /= sum;
        }
        if (topP < 1) {
            Integer[] byP = order.clone();
            Arrays.sort(byP, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : a - b);
            double cumulative = 0;
            boolean closed = false;
            double kept = 0;
            for (int id : byP) {
                if (closed || p[id] == 0) {
                    p[id] = 0;
                    continue;
                }
                cumulative += p[id];
                kept += p[id];
                closed = cumulative >= topP - TokenSampler.TOP_P_SLACK;
            }
            for (int i = 0; i < vocab; i++) {
                p[i] /= kept;
            }
        }
        return p;
    }

    @Test
    void drawFrequenciesMatchTheFilteredDistributionWithinFiveSigma() {
        float[] logits = {2.0f, 1.5f, 0.3f, -0.2f, 1.1f, -3f, Float.NEGATIVE_INFINITY, 0.9f};
        TokenSampler sampler = sampler(0.8, 6, 0.95, 2024);
        double[] p = sampler.distribution(logits);
        assertTrue(kept(p) >= 4 && kept(p) < 7, Arrays.toString(p));
        int n = 20_000;
        int[] counts = new int[logits.length];
        for (int i = 0; i < n; i++) {
            counts[sampler.next(0, logits)]++;
        }
        for (int token = 0; token < logits.length; token++) {
            if (p[token] == 0) {
                assertEquals(0, counts[token], "token " + token + " was filtered out but drawn");
                continue;
            }
            // The count of a token is Binomial(n, p): mean n p, standard deviation sqrt(n p (1 - p)).
            double mean = n * p[token];
            double sigma = Math.sqrt(n * p[token] * (1 - p[token]));
            assertTrue(Math.abs(counts[token] - mean) <= 5 * sigma, "token " + token + ": " + counts[token]
                    + " draws, expected " + mean + " +- 5 * " + sigma);
        }
    }

    @Test
    void theSameSeedGivesTheSameTokensAndAnotherSeedOthers() {
        float[] logits = new float[100];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.sin(i);
        }
        int[] a = draws(sampler(1, 0, 1, 7), 0, logits, 200);
        assertArrayEquals(a, draws(sampler(1, 0, 1, 7), 0, logits, 200));
        assertFalse(Arrays.equals(a, draws(sampler(1, 0, 1, 8), 0, logits, 200)));
    }

    @Test
    void rowsDrawIndependently() {
        float[] logits = new float[30];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) Math.cos(i);
        }
        float[] other = logits.clone();
        other[3] += 2;
        // Row 1 alone, and row 1 interleaved with rows 0 and 2 (which see other logits): the same tokens.
        int[] alone = draws(sampler(1.2, 10, 0.9, 5), 1, logits, 300);
        TokenSampler batch = sampler(1.2, 10, 0.9, 5);
        int[] interleaved = new int[300];
        for (int step = 0; step < 300; step++) {
            batch.next(0, other);
            interleaved[step] = batch.next(1, logits);
            if (step % 3 == 0) {
                batch.next(2, other);
            }
        }
        assertArrayEquals(alone, interleaved);
        // Rows with the same logits still draw different streams.
        assertNotEquals(Arrays.toString(alone), Arrays.toString(draws(sampler(1.2, 10, 0.9, 5), 0, logits, 300)));
    }

    @Test
    void aFlatBatchArrayWithOffsetsMatchesPerRowArrays() {
        float[] row0 = {0.1f, 0.2f, 0.3f};
        float[] row1 = {3f, -1f, 0f};
        float[] flat = {0.1f, 0.2f, 0.3f, 3f, -1f, 0f};
        TokenSampler a = sampler(1, 0, 1, 11);
        TokenSampler b = sampler(1, 0, 1, 11);
        for (int step = 0; step < 50; step++) {
            assertEquals(a.next(0, row0), b.next(0, flat, 0, 3));
            assertEquals(a.next(1, row1), b.next(1, flat, 3, 3));
        }
        assertArrayEquals(a.distribution(row1), b.distribution(flat, 3, 3));
    }

    @Test
    void distributionDrawsNoRandomNumbers() {
        float[] logits = {0f, 1f, 2f, 0.5f};
        TokenSampler a = sampler(1, 0, 1, 3);
        TokenSampler b = sampler(1, 0, 1, 3);
        for (int i = 0; i < 10; i++) {
            b.distribution(logits);
        }
        assertArrayEquals(draws(a, 0, logits, 50), draws(b, 0, logits, 50));
    }

    private static int[] draws(TokenSampler sampler, int row, float[] logits, int n) {
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = sampler.next(row, logits);
        }
        return tokens;
    }
}
