package dev.peft4j.models.generate;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Chooses the next token of each sequence from its logits, in plain Java so that the choice is the same on every
 * machine and engine (a GPU's sort or multinomial would not promise that).
 *
 * <p><b>Greedy</b> ({@link GenerationConfig#greedy()}): the token with the largest logit; on a tie the lowest token
 * id wins. No random number is drawn.
 *
 * <p><b>Sampling</b> applies transformers' warpers in transformers' order, then draws:
 * <ol>
 *   <li>temperature: the logits are divided by it (computed as {@code (logit - max) / temperature} in double, which
 *       has the same softmax and cannot overflow for a tiny temperature);</li>
 *   <li>top-k, when {@code topK > 0}: tokens whose scaled logit is below the k-th largest are removed. Ties at the
 *       k-th value are all kept, as transformers' {@code TopKLogitsWarper} does ({@code scores < topk[-1]} is
 *       removed), so more than k tokens survive only when several share the k-th value; the rule depends on values
 *       alone, never on token ids. A k at or above the number of unmasked tokens keeps them all;</li>
 *   <li>top-p, when {@code topP < 1}: on the softmax of what top-k left, the nucleus is the smallest set of most
 *       probable tokens whose cumulative probability reaches topP, always at least one token. This is the same set
 *       as transformers' {@code TopPLogitsWarper} (which removes, in ascending order, tokens whose cumulative
 *       probability is {@code <= 1 - top_p}). Tokens of equal probability enter the nucleus lowest id first. Since
 *       probabilities from float logits carry a relative error near 1e-7, a cumulative probability within
 *       {@link #TOP_P_SLACK} of topP counts as reaching it: a boundary that close is decided by rounding, not by
 *       the model, and the slack makes hand-made cases behave as written (a probability of 0.4 given as a float
 *       logit comes back as 0.39999999838, which still closes a nucleus of topP = 0.4);</li>
 *   <li>the survivors are renormalised (softmax in double, with {@link StrictMath#exp}, which is bit-for-bit the
 *       same on every JVM) and one token is drawn by inverse CDF in token id order.</li>
 * </ol>
 *
 * <p>Each row (sequence of the batch) has its own {@link SplittableRandom}, seeded from the config's seed and the row
 * index, and draws exactly one number per sampled token. So a row's tokens depend only on the seed, its row index and
 * its own logits: not on the other rows, on the batch size, on how many rows already finished, or on the hardware.
 *
 * <p>Logits may contain {@code -Infinity} (a masked token, never chosen) but not NaN or {@code +Infinity}, and at
 * least one token must be unmasked. One sampler serves one generation call; it is not thread-safe.
 */
public final class TokenSampler {

    /** How close to topP a cumulative probability must come to close the nucleus; see the class comment. */
    public static final double TOP_P_SLACK = 1e-6;

    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    /** Passes of the nucleus search before it takes every token (its floor is then 4^-40 of the top probability). */
    private static final int MAX_NUCLEUS_PASSES = 40;

    private final GenerationConfig config;
    private final Map<Integer, SplittableRandom> randoms = new HashMap<>();

    public TokenSampler(GenerationConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public GenerationConfig config() {
        return config;
    }

    /** The next token of sequence {@code row}, from its logits over the whole vocabulary. */
    public int next(int row, float[] logits) {
        return next(row, logits, 0, logits.length);
    }

    /**
     * The next token of sequence {@code row}, from {@code logits[offset, offset + vocab)}; for a batch's logits
     * flattened row after row, pass {@code offset = row * vocab}.
     */
    public int next(int row, float[] logits, int offset, int vocab) {
        if (row < 0) {
            throw new IllegalArgumentException("row: expected an index >= 0 into the batch, found " + row);
        }
        checkRange(logits, offset, vocab);
        if (config.greedy()) {
            return argmax(logits, offset, vocab);
        }
        double[] probabilities = sampledDistribution(logits, offset, vocab);
        double u = random(row).nextDouble();
        double cumulative = 0;
        int last = -1;
        for (int i = 0; i < vocab; i++) {
            if (probabilities[i] > 0) {
                cumulative += probabilities[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // u fell into the rounding gap between the cumulative sum and 1
    }

    /**
     * The distribution {@link #next} draws from, one probability per token id (0 for removed tokens), summing to 1.
     * Under greedy decoding it is one-hot at the {@link #argmax}. Draws nothing from any row's random stream.
     */
    public double[] distribution(float[] logits) {
        return distribution(logits, 0, logits.length);
    }

    /** {@link #distribution(float[])} of {@code logits[offset, offset + vocab)}. */
    public double[] distribution(float[] logits, int offset, int vocab) {
        checkRange(logits, offset, vocab);
        if (config.greedy()) {
            double[] oneHot = new double[vocab];
            oneHot[argmax(logits, offset, vocab)] = 1;
            return oneHot;
        }
        return sampledDistribution(logits, offset, vocab);
    }

    /** The index of the largest of {@code logits[offset, offset + vocab)} relative to offset, lowest on a tie. */
    public static int argmax(float[] logits, int offset, int vocab) {
        checkRange(logits, offset, vocab);
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            float v = checkValue(logits[offset + i], i);
            if (best < 0 ? v > Float.NEGATIVE_INFINITY : v > bestValue) {
                best = i;
                bestValue = v;
            }
        }
        if (best < 0) {
            throw allMasked(vocab);
        }
        return best;
    }

    private double[] sampledDistribution(float[] logits, int offset, int vocab) {
        double max = logits[offset + argmax(logits, offset, vocab)]; // also validates every value
        double temperature = config.temperature();
        double[] scaled = new double[vocab];
        int unmasked = 0;
        for (int i = 0; i < vocab; i++) {
            float v = logits[offset + i];
            if (v == Float.NEGATIVE_INFINITY) {
                scaled[i] = Double.NEGATIVE_INFINITY;
            } else {
                scaled[i] = (v - max) / temperature;
                unmasked++;
            }
        }
        double[] probabilities = new double[vocab];
        double kthLargest = kthLargest(scaled, unmasked, config.topK());
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            if (scaled[i] >= kthLargest && scaled[i] > Double.NEGATIVE_INFINITY) {
                probabilities[i] = StrictMath.exp(scaled[i]);
                sum += probabilities[i];
            }
        }
        normalise(probabilities, sum); // sum >= 1: the largest token contributes exp(0)
        if (config.topP() < 1) {
            keepNucleus(probabilities, config.topP());
        }
        return probabilities;
    }

    /** The smallest value top-k keeps, or -Infinity when top-k keeps every unmasked token. */
    private static double kthLargest(double[] scaled, int unmasked, int topK) {
        if (topK <= 0 || topK >= unmasked) {
            return Double.NEGATIVE_INFINITY;
        }
        // A min-heap of the k largest values seen so far: O(vocab log k), where sorting would be O(vocab log vocab).
        double[] heap = new double[topK];
        int n = 0;
        for (double v : scaled) {
            if (v == Double.NEGATIVE_INFINITY) {
                continue;
            }
            if (n < topK) {
                heap[n] = v;
                siftUp(heap, n++);
            } else if (v > heap[0]) {
                heap[0] = v;
                siftDown(heap, topK);
            }
        }
        return heap[0];
    }

    private static void siftUp(double[] heap, int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (heap[parent] <= heap[i]) {
                return;
            }
            swap(heap, parent, i);
            i = parent;
        }
    }

    private static void siftDown(double[] heap, int n) {
        int i = 0;
        while (true) {
            int smallest = i;
            int left = 2 * i + 1;
            int right = left + 1;
            if (left < n && heap[left] < heap[smallest]) {
                smallest = left;
            }
            if (right < n && heap[right] < heap[smallest]) {
                smallest = right;
            }
            if (smallest == i) {
                return;
            }
            swap(heap, i, smallest);
            i = smallest;
        }
    }

    private static void swap(double[] a, int i, int j) {
        double t = a[i];
        a[i] = a[j];
        a[j] = t;
    }

    /**
     * Zeroes every token outside the nucleus of {@code probabilities} and renormalises the rest.
     *
     * <p>The nucleus is found on the tokens sorted by falling probability, but sorting a whole vocabulary per token
     * would dominate a step. So it first takes the candidates with probability {@code >= t} for a falling t (the
     * largest probability, then a quarter of it, and so on): such a set is a prefix of the sorted order (ties
     * included), so once its walk reaches topP the nucleus lies inside it, and only it is sorted. The walk adds the
     * same values in the same order as on the full sort, so the result is identical, bit for bit.
     */
    private static void keepNucleus(double[] probabilities, double topP) {
        double target = topP - TOP_P_SLACK;
        double max = 0;
        for (double p : probabilities) {
            max = Math.max(max, p);
        }
        double t = max;
        for (int pass = 0; ; pass++, t *= 0.25) {
            boolean everyCandidate = pass == MAX_NUCLEUS_PASSES;
            double floor = everyCandidate ? Double.MIN_VALUE : t;
            int candidates = 0;
            double mass = 0;
            for (double p : probabilities) {
                if (p >= floor) {
                    candidates++;
                    mass += p;
                }
            }
            if (!everyCandidate && mass < target) {
                continue;
            }
            double[] sorted = new double[candidates];
            int n = 0;
            for (double p : probabilities) {
                if (p >= floor) {
                    sorted[n++] = p;
                }
            }
            Arrays.sort(sorted);
            // Walk from the most probable down until the cumulative probability reaches topP.
            double cumulative = 0;
            int position = candidates;
            boolean reached = false;
            while (position > 0 && !reached) {
                cumulative += sorted[--position];
                reached = cumulative >= target;
            }
            if (!reached && !everyCandidate) {
                continue; // rounding: the walk's sum fell short of the mass summed in id order; widen the set
            }
            keepFrom(probabilities, sorted, position);
            return;
        }
    }

    /** Keeps the tokens of {@code sorted[position, end)}, lowest ids first among those equal to the smallest. */
    private static void keepFrom(double[] probabilities, double[] sorted, int position) {
        double threshold = sorted[position];
        int tiesToKeep = 1; // members of the nucleus equal to the threshold, the one at position included
        for (int i = position + 1; i < sorted.length && sorted[i] == threshold; i++) {
            tiesToKeep++;
        }
        double sum = 0;
        for (int i = 0; i < probabilities.length; i++) {
            double p = probabilities[i];
            if (p > threshold || (p == threshold && tiesToKeep-- > 0)) {
                sum += p;
            } else {
                probabilities[i] = 0;
            }
        }
        normalise(probabilities, sum);
    }

    private static void normalise(double[] probabilities, double sum) {
        for (int i = 0; i < probabilities.length; i++) {
            probabilities[i] /= sum;
        }
    }

    private SplittableRandom random(int row) {
        return randoms.computeIfAbsent(row, r -> new SplittableRandom(rowSeed(config.seed(), r)));
    }

    /** Mixes the seed and the row index (SplitMix64's finaliser) so that neighbouring rows get unrelated streams. */
    static long rowSeed(long seed, int row) {
        long z = seed + GOLDEN_GAMMA * (row + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static void checkRange(float[] logits, int offset, int vocab) {
        Objects.requireNonNull(logits, "logits");
        if (vocab < 1 || offset < 0 || offset > logits.length - vocab) {
            throw new IllegalArgumentException("logits: expected " + vocab + " values (>= 1) from offset " + offset
                    + ", found an array of " + logits.length + "; pass the row's offset and the vocabulary size");
        }
    }

    private static float checkValue(float v, int token) {
        if (Float.isNaN(v) || v == Float.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("logits: expected finite values or -Infinity for masked tokens, found "
                    + v + " for token " + token + "; the model's forward pass overflowed or produced NaN upstream");
        }
        return v;
    }

    private static IllegalArgumentException allMasked(int vocab) {
        return new IllegalArgumentException("logits: expected at least one token that is not -Infinity, found all "
                + vocab + " masked; relax the logits processing that masked them");
    }
}
