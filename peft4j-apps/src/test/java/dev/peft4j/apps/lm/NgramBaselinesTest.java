package dev.peft4j.apps.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NgramBaselinesTest {

    private static final int BOS = 0;
    private static final int EOS = 1;
    private static final int A = 2;
    private static final double EPS = 1e-12;

    /** Train "a a" (predictions a, a, EOS), validate "a" (predictions a, EOS), vocabulary {BOS, EOS, a}. */
    private static NgramBaselines.Report tiny() {
        return NgramBaselines.evaluate(List.of(new int[] {BOS, A, A}), List.of(new int[] {BOS, A}), EOS, 3, 1);
    }

    @Test
    void unigramByHand() {
        // counts a = 2, EOS = 1, BOS = 0 over N = 3; add-one over V = 3: P(a) = 3/6, P(EOS) = 2/6, P(BOS) = 1/6
        NgramBaselines.Unigram unigram = NgramBaselines.Unigram.fit(List.of(new int[] {BOS, A, A}), EOS, 3);
        assertEquals(0.5, unigram.probability(A), EPS);
        assertEquals(1.0 / 3, unigram.probability(EOS), EPS);
        assertEquals(1.0 / 6, unigram.probability(BOS), EPS);
        NgramBaselines.Evaluation e = tiny().unigram();
        assertEquals(2, e.predictedTokens());
        assertEquals(Math.log(6), e.totalNll(), EPS); // -ln(1/2) - ln(1/3)
        assertEquals(Math.log(6) / 2, e.meanNll(), EPS);
        assertEquals(Math.sqrt(6), e.perplexity(), 1e-9);
        assertEquals(Math.log(6) / Math.log(2), e.bitsPerByte(), EPS); // one validation byte
    }

    @Test
    void kneserNeyBigramByHand() {
        // bigrams (BOS a), (a a), (a EOS): 3 types; predecessors of a: {BOS, a}, of EOS: {a}; 2 continued types
        NgramBaselines.KneserNeyBigram kn = NgramBaselines.KneserNeyBigram.fit(List.of(new int[] {BOS, A, A}), EOS, 3);
        double d = NgramBaselines.DISCOUNT;
        double contA = (2 - d + d * 2 / 3) / 3;
        double contEos = (1 - d + d * 2 / 3) / 3;
        double contBos = (d * 2 / 3) / 3;
        assertEquals(contA, kn.continuation(A), EPS);
        assertEquals(contEos, kn.continuation(EOS), EPS);
        assertEquals(contBos, kn.continuation(BOS), EPS);
        assertEquals(0.6875, kn.probability(BOS, A), EPS); // (1 - 0.75) / 1 + 0.75 * 1 / 1 * contA
        assertEquals(0.3125, kn.probability(A, EOS), EPS); // (1 - 0.75) / 2 + 0.75 * 2 / 2 * contEos
        assertEquals(contA, kn.probability(EOS, A), EPS, "an unseen context falls back to the continuation");
        NgramBaselines.Evaluation e = tiny().bigram();
        assertEquals(-Math.log(0.6875) - Math.log(0.3125), e.totalNll(), EPS);
        assertEquals("bigram-kn", e.model());
    }

    @Test
    void kneserNeySumsToOneAndIsNeverZero() {
        Random random = new Random(7);
        int vocab = 30;
        List<int[]> train = new ArrayList<>();
        for (int d = 0; d < 20; d++) {
            int[] doc = new int[1 + random.nextInt(15)];
            doc[0] = BOS;
            for (int i = 1; i < doc.length; i++) {
                doc[i] = 2 + random.nextInt(10); // ids 12..29 never occur
            }
            train.add(doc);
        }
        NgramBaselines.KneserNeyBigram kn = NgramBaselines.KneserNeyBigram.fit(train, EOS, vocab);
        NgramBaselines.Unigram unigram = NgramBaselines.Unigram.fit(train, EOS, vocab);
        for (int context : new int[] {BOS, EOS, 2, 5, 11, 20}) {
            double sum = 0;
            for (int w = 0; w < vocab; w++) {
                double p = kn.probability(context, w);
                assertTrue(p > 0, "P(" + w + " | " + context + ") = " + p);
                sum += p;
            }
            assertEquals(1.0, sum, 1e-12, "context " + context);
        }
        double sum = 0;
        double cont = 0;
        for (int w = 0; w < vocab; w++) {
            sum += unigram.probability(w);
            cont += kn.continuation(w);
        }
        assertEquals(1.0, sum, 1e-12);
        assertEquals(1.0, cont, 1e-12);
    }

    @Test
    void bigramBeatsUnigramOnRepetitiveText() {
        List<int[]> docs = new ArrayList<>();
        for (int d = 0; d < 10; d++) {
            docs.add(new int[] {BOS, 2, 3, 4, 2, 3, 4, 2, 3, 4});
        }
        NgramBaselines.Report r = NgramBaselines.evaluate(docs, docs.subList(0, 2), EOS, 5, 18);
        assertTrue(r.bigram().meanNll() < r.unigram().meanNll(), r.toString());
        assertEquals(20, r.bigram().predictedTokens());
    }

    @Test
    void noTrainingDataIsUniform() {
        NgramBaselines.Report r = NgramBaselines.evaluate(List.of(), List.of(new int[] {BOS, 3}), EOS, 4, 1);
        assertEquals(2 * Math.log(4), r.unigram().totalNll(), EPS);
        assertEquals(2 * Math.log(4), r.bigram().totalNll(), EPS);
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NgramBaselines.evaluate(List.of(new int[] {BOS, 7}), List.of(new int[] {BOS}), EOS, 5, 1));
        assertEquals("Token id 7 is outside the vocabulary [0, 5); pass the tokenizer's vocabulary size",
                e.getMessage());
    }
}
