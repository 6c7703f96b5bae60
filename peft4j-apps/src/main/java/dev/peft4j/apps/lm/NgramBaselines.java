package dev.peft4j.apps.lm;

import java.util.Arrays;
import java.util.List;

/**
 * The floor a pretrained language model has to beat: a unigram model with add-one smoothing and an interpolated
 * Kneser-Ney bigram model, fitted on the training token streams and scored on the validation ones, reported as
 * mean NLL per token (nats), perplexity and bits per byte.
 *
 * <p><b>Convention</b> (the LM evaluation must use the same one for the numbers to compare): a document is passed
 * as its token ids with BOS first and without EOS, as {@code TokenWindows} takes them; EOS is appended here. The
 * predicted tokens are every token after the BOS, EOS included: a document {@code [BOS, t1, ..., tn]} contributes
 * the n + 1 predictions {@code t1 | BOS}, {@code t2 | t1}, ..., {@code EOS | tn}. BOS itself is never predicted.
 * Bits per byte is the total NLL in bits over all predicted tokens divided by the UTF-8 byte count of the validation
 * texts (without any separator), so it does not depend on the tokenizer and compares across vocabularies.
 *
 * <p>Unigram: {@code P(w) = (c(w) + 1) / (N + V)}, where {@code c(w)} counts w among the training predictions,
 * {@code N} is their number and {@code V} the vocabulary size.
 *
 * <p>Bigram, interpolated Kneser-Ney with absolute discount {@code D = }{@value #DISCOUNT} (Chen and Goodman 1998,
 * one discount for all counts), with the continuation unigram itself interpolated with the uniform distribution so
 * that no probability is zero:
 * <pre>
 *   P(w | v)   = max(c(v w) - D, 0) / c(v)  +  D * N1+(v .) / c(v) * Pcont(w)      (c(v) = sum over w of c(v w))
 *   Pcont(w)   = max(N1+(. w) - D, 0) / N1+(. .)  +  D * |{w : N1+(. w) > 0}| / N1+(. .) * 1 / V
 * </pre>
 * where {@code N1+(v .)} is the number of distinct tokens seen after v, {@code N1+(. w)} the number of distinct
 * tokens seen before w and {@code N1+(. .)} the number of distinct bigrams. A context never seen in training falls
 * back to {@code Pcont}; with no training bigram at all, {@code Pcont} is uniform. Both sum to 1 over the
 * vocabulary for every context.
 */
public final class NgramBaselines {

    /** The absolute discount of the Kneser-Ney bigram. */
    public static final double DISCOUNT = 0.75;

    /**
     * One model's score on the validation documents.
     *
     * @param model "unigram" or "bigram-kn"
     * @param predictedTokens the number of predictions (see the class comment)
     * @param totalNll the summed negative log-likelihood in nats
     * @param validationBytes the UTF-8 bytes of the validation texts
     */
    public record Evaluation(String model, long predictedTokens, double totalNll, long validationBytes) {

        /** Mean NLL per predicted token, nats. */
        public double meanNll() {
            return totalNll / predictedTokens;
        }

        public double perplexity() {
            return Math.exp(meanNll());
        }

        /** Total NLL in bits over the validation bytes. */
        public double bitsPerByte() {
            return totalNll / Math.log(2) / validationBytes;
        }

        @Override
        public String toString() {
            return String.format("%s: %d tokens, mean NLL %.4f nats, perplexity %.2f, %.4f bits/byte", model,
                    predictedTokens, meanNll(), perplexity(), bitsPerByte());
        }
    }

    /** Both baselines on the same validation documents. */
    public record Report(Evaluation unigram, Evaluation bigram) {
    }

    private NgramBaselines() {
    }

    /**
     * Fits both models on {@code train} and scores them on {@code validation}.
     *
     * @param train training documents, BOS first, no EOS
     * @param validation validation documents, BOS first, no EOS
     * @param eosId appended to every document
     * @param vocabSize every id must lie in {@code [0, vocabSize)}
     * @param validationBytes UTF-8 bytes of the validation texts, for bits per byte
     */
    public static Report evaluate(List<int[]> train, List<int[]> validation, int eosId, int vocabSize,
            long validationBytes) {
        if (validationBytes <= 0) {
            throw new IllegalArgumentException("validationBytes must be positive, found " + validationBytes);
        }
        Unigram unigram = Unigram.fit(train, eosId, vocabSize);
        KneserNeyBigram bigram = KneserNeyBigram.fit(train, eosId, vocabSize);
        double unigramNll = 0;
        double bigramNll = 0;
        long predicted = 0;
        for (int[] document : validation) {
            int[] tokens = withEos(document, eosId, vocabSize);
            for (int i = 1; i < tokens.length; i++) {
                unigramNll -= Math.log(unigram.probability(tokens[i]));
                bigramNll -= Math.log(bigram.probability(tokens[i - 1], tokens[i]));
                predicted++;
            }
        }
        if (predicted == 0) {
            throw new IllegalArgumentException("The validation documents hold no token to predict; pass at least "
                    + "one document");
        }
        return new Report(new Evaluation("unigram", predicted, unigramNll, validationBytes),
                new Evaluation("bigram-kn", predicted, bigramNll, validationBytes));
    }

    /** Add-one smoothed unigram over the predicted training tokens. */
    public static final class Unigram {

        private final long[] counts;
        private final long total;

        private Unigram(long[] counts, long total) {
            this.counts = counts;
            this.total = total;
        }

        public static Unigram fit(List<int[]> train, int eosId, int vocabSize) {
            requireVocab(vocabSize, eosId);
            long[] counts = new long[vocabSize];
            long total = 0;
            for (int[] document : train) {
                int[] tokens = withEos(document, eosId, vocabSize);
                for (int i = 1; i < tokens.length; i++) {
                    counts[tokens[i]]++;
                    total++;
                }
            }
            return new Unigram(counts, total);
        }

        public double probability(int token) {
            return (counts[token] + 1.0) / (total + counts.length);
        }
    }

    /** Interpolated Kneser-Ney bigram (see the class comment). */
    public static final class KneserNeyBigram {

        private final int vocabSize;
        /** Distinct bigrams as {@code previous << 32 | next}, sorted. */
        private final long[] keys;
        private final int[] bigramCounts;
        /** Per context v: c(v) and N1+(v .). */
        private final long[] contextCounts;
        private final int[] followerTypes;
        /** Per token w: N1+(. w). */
        private final int[] predecessorTypes;
        private final long bigramTypes;
        private final int continuedTypes;

        private KneserNeyBigram(int vocabSize, long[] keys, int[] bigramCounts) {
            this.vocabSize = vocabSize;
            this.keys = keys;
            this.bigramCounts = bigramCounts;
            contextCounts = new long[vocabSize];
            followerTypes = new int[vocabSize];
            predecessorTypes = new int[vocabSize];
            for (int i = 0; i < keys.length; i++) {
                int v = (int) (keys[i] >>> 32);
                int w = (int) keys[i];
                contextCounts[v] += bigramCounts[i];
                followerTypes[v]++;
                predecessorTypes[w]++;
            }
            bigramTypes = keys.length;
            int continued = 0;
            for (int n : predecessorTypes) {
                if (n > 0) {
                    continued++;
                }
            }
            continuedTypes = continued;
        }

        public static KneserNeyBigram fit(List<int[]> train, int eosId, int vocabSize) {
            requireVocab(vocabSize, eosId);
            long total = 0;
            for (int[] document : train) {
                total += document.length; // document.length + 1 tokens with EOS, one bigram fewer
            }
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("Too many training bigrams for one array: " + total);
            }
            long[] all = new long[(int) total];
            int at = 0;
            for (int[] document : train) {
                int[] tokens = withEos(document, eosId, vocabSize);
                for (int i = 1; i < tokens.length; i++) {
                    all[at++] = ((long) tokens[i - 1] << 32) | tokens[i];
                }
            }
            Arrays.sort(all);
            int distinct = 0;
            for (int i = 0; i < all.length; i++) {
                if (i == 0 || all[i] != all[i - 1]) {
                    distinct++;
                }
            }
            long[] keys = new long[distinct];
            int[] counts = new int[distinct];
            int k = -1;
            for (int i = 0; i < all.length; i++) {
                if (i == 0 || all[i] != all[i - 1]) {
                    keys[++k] = all[i];
                }
                counts[k]++;
            }
            return new KneserNeyBigram(vocabSize, keys, counts);
        }

        /** The continuation unigram interpolated with the uniform distribution. */
        public double continuation(int token) {
            if (bigramTypes == 0) {
                return 1.0 / vocabSize;
            }
            return (Math.max(predecessorTypes[token] - DISCOUNT, 0) + DISCOUNT * continuedTypes / vocabSize)
                    / bigramTypes;
        }

        /** P(token | previous). */
        public double probability(int previous, int token) {
            long contextCount = contextCounts[previous];
            if (contextCount == 0) {
                return continuation(token);
            }
            int i = Arrays.binarySearch(keys, ((long) previous << 32) | token);
            double count = i >= 0 ? bigramCounts[i] : 0;
            return (Math.max(count - DISCOUNT, 0) + DISCOUNT * followerTypes[previous] * continuation(token))
                    / contextCount;
        }
    }

    private static int[] withEos(int[] document, int eosId, int vocabSize) {
        if (document.length == 0) {
            throw new IllegalArgumentException("A document must hold at least its BOS token, found an empty one");
        }
        int[] tokens = Arrays.copyOf(document, document.length + 1);
        tokens[document.length] = eosId;
        for (int t : document) {
            if (t < 0 || t >= vocabSize) {
                throw new IllegalArgumentException("Token id " + t + " is outside the vocabulary [0, " + vocabSize
                        + "); pass the tokenizer's vocabulary size");
            }
        }
        return tokens;
    }

    private static void requireVocab(int vocabSize, int eosId) {
        if (vocabSize < 1 || eosId < 0 || eosId >= vocabSize) {
            throw new IllegalArgumentException("Expected a positive vocabulary size and an EOS id inside it, found "
                    + "vocabSize " + vocabSize + " and eosId " + eosId);
        }
    }
}
