package dev.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pooled classification head on the tiny random encoder. */
class SequenceClassifierTest {

    private static final long[][] IDS = {{1, 7, 8, 9, 2, 0, 0}, {1, 11, 12, 13, 14, 15, 2}};
    private static final long[][] MASK = {{1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 1}};

    @Test
    void logitsAreBatchByLabels() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(1, manager);
                SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 3, 42)) {
            NDArray logits = classifier.forward(manager.create(IDS), manager.create(MASK), null, false);
            assertArrayEquals(new long[] {2, 3}, logits.getShape().getShape());
            assertEquals(13, classifier.linearLayers().size());
            assertEquals("classifier", List.copyOf(classifier.linearLayers().keySet()).get(12));
            assertEquals(Set.of("classifier"), classifier.headModules());
            assertEquals(encoder.parameters().size() + 2, classifier.parameters().size());
            assertArrayEquals(new long[] {3, 32}, classifier.parameters().get("classifier.weight").getShape().getShape());
            assertEquals(0f, classifier.parameters().get("classifier.bias").abs().sum().getFloat(), 0f);
        }
    }

    @Test
    void headIsNormalWithStd002FromTheSeed() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.random(BertConfig.tiny(), 1, manager);
                SequenceClassifier a = SequenceClassifier.meanPooled(encoder, 64, 7);
                SequenceClassifier b = SequenceClassifier.cls(encoder, 64, 7)) {
            NDArray w = a.head().weight(); // 64 x 32 = 2048 draws
            float std = w.sub(w.mean()).square().mean().sqrt().getFloat();
            assertEquals(0.02f, std, 0.002f);
            assertEquals(0f, w.sub(b.head().weight()).abs().max().getFloat(), 0f);
        }
    }

    @Test
    void meanPoolingIgnoresPadding() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(2, manager);
                SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 2, 3)) {
            NDArray hidden = manager.arange(2f * 3 * 2).reshape(2, 3, 2); // [batch 2, seq 3, hidden 2]
            NDArray pooled = classifier.pool(hidden, manager.create(new long[][] {{1, 1, 0}, {1, 1, 1}}));
            // row 0: mean of (0,1) and (2,3) = (1,2); row 1: mean of (6,7),(8,9),(10,11) = (8,9)
            // small-integer sums are exact in any order; only the division by the count rounds (<= 1 ulp of 9 =
            // 9.5e-7 if done as a multiply by the reciprocal): 2 ulp of the largest, 2e-6
            assertArrayEquals(new float[] {1f, 2f, 8f, 9f}, pooled.toFloatArray(), 2 * Math.ulp(9f));
            NDArray logits = classifier.forward(manager.create(new long[][] {{1, 7, 8, 2}}),
                    manager.create(new long[][] {{1, 1, 1, 1}}), null, false);
            NDArray paddedLogits = classifier.forward(manager.create(new long[][] {{1, 7, 8, 2, 9, 9}}),
                    manager.create(new long[][] {{1, 1, 1, 1, 0, 0}}), null, false);
            // 6 vs 4 tokens: other GEMM shapes and rounding through the encoder and the mean. Relative to max |logit|:
            // the encoder's ~1e-5 worst case (see BertModelTest) times the head's cancellation (~sqrt(hidden)); 1e-4
            float relative = logits.sub(paddedLogits).abs().max().getFloat() / logits.abs().max().getFloat();
            assertTrue(relative < 1e-4f, "padding changed the logits by a max relative " + relative);
        }
    }

    @Test
    void clsPoolingTakesTheFirstToken() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(2, manager);
                SequenceClassifier classifier = SequenceClassifier.cls(encoder, 2, 3)) {
            NDArray hidden = manager.arange(2f * 3 * 2).reshape(2, 3, 2);
            NDArray pooled = classifier.pool(hidden, manager.create(new long[][] {{1, 1, 0}, {1, 1, 1}}));
            assertArrayEquals(new float[] {0f, 1f, 6f, 7f}, pooled.toFloatArray(), 0f);
        }
    }

    @Test
    void gradientReachesTheHeadOnlyWhenMarked() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(4, manager);
                SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 2, 5)) {
            assertTrue(classifier.parameters().values().stream().noneMatch(NDArray::hasGradient));
            NDArray weight = classifier.head().weight();
            NDArray bias = classifier.head().bias();
            weight.setRequiresGradient(true);
            bias.setRequiresGradient(true);
            NDArray labels = manager.create(new long[] {0, 1});
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = classifier.forward(manager.create(IDS), manager.create(MASK), null, true);
                NDArray loss = Loss.softmaxCrossEntropyLoss().evaluate(
                        new ai.djl.ndarray.NDList(labels), new ai.djl.ndarray.NDList(logits));
                collector.backward(loss);
            }
            assertTrue(weight.getGradient().abs().sum().getFloat() > 0f);
            // d loss / d bias = mean over the batch of softmax - onehot: its entries sum to zero.
            NDArray biasGrad = bias.getGradient();
            assertTrue(biasGrad.abs().sum().getFloat() > 0f);
            // softmax - onehot sums to 0 up to rounding of 2 classes x 2 examples of size <= 1: ~4·u·1 ≈ 2.4e-7; 1e-6
            assertEquals(0f, biasGrad.sum().getFloat(), 1e-6f);
            for (String name : encoder.parameters().keySet()) {
                assertFalse(encoder.parameters().get(name).hasGradient(), name + " must stay frozen");
            }
        }
    }

    @Test
    void closingTheClassifierKeepsTheEncoder() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel encoder = BertModel.randomTiny(6, manager)) {
            SequenceClassifier classifier = SequenceClassifier.cls(encoder, 2, 1);
            classifier.close();
            NDArray hidden = encoder.forward(manager.create(IDS), manager.create(MASK), null, false);
            assertEquals(2 * 7 * 32, hidden.size());
            assertThrows(IllegalArgumentException.class, () -> SequenceClassifier.meanPooled(encoder, 0, 1));
            assertFalse(hidden.isNaN().any().getBoolean());
        }
    }
}
