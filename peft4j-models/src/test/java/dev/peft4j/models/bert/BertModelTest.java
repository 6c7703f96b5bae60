package dev.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tiny random encoder: shapes, masking, dropout, autograd and memory. */
class BertModelTest {

    private static final long[][] IDS = {{1, 7, 8, 9, 2, 0, 0}, {1, 11, 12, 13, 14, 15, 2}};
    private static final long[][] MASK = {{1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 1}};

    @Test
    void outputIsBatchBySeqByHidden() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel model = BertModel.randomTiny(1, manager)) {
            NDArray hidden = model.forward(manager.create(IDS), manager.create(MASK), null, false);
            assertArrayEquals(new long[] {2, 7, 32}, hidden.getShape().getShape());
            assertEquals(12, model.linearLayers().size());
            assertEquals(List.of("encoder.layer.0.attention.self.query", "encoder.layer.0.attention.self.key",
                    "encoder.layer.0.attention.self.value", "encoder.layer.0.attention.output.dense",
                    "encoder.layer.0.intermediate.dense", "encoder.layer.0.output.dense"),
                    List.copyOf(model.linearLayers().keySet()).subList(0, 6));
            assertEquals(5 + 2 * 16, model.parameters().size());
            assertTrue(model.parameters().values().stream().noneMatch(NDArray::hasGradient), "frozen by default");
        }
    }

    @Test
    void paddingDoesNotChangeRealTokens() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel model = BertModel.randomTiny(2, manager)) {
            NDArray alone = model.forward(manager.create(new long[][] {{1, 7, 8, 9, 2}}),
                    manager.create(new long[][] {{1, 1, 1, 1, 1}}), null, false);
            // Padding with arbitrary ids: the mask must hide them completely.
            NDArray padded = model.forward(manager.create(new long[][] {{1, 7, 8, 9, 2, 55, 66, 77}}),
                    manager.create(new long[][] {{1, 1, 1, 1, 1, 0, 0, 0}}), null, false);
            // 8 vs 5 tokens: other GEMM shapes, so other blocking and rounding. Relative to max |hidden| (LayerNorm
            // outputs ~1-4): a few layers of k <= 64-term fp32 sums, worst ~L·k·u ≈ 1e-5; bound 1e-4, while a leak
            // through the mask moves them by > 1e-3 (checked below)
            float diff = padded.get(new NDIndex(":, 0:5, :")).sub(alone).abs().max().getFloat()
                    / alone.abs().max().getFloat();
            assertTrue(diff < 1e-4f, "padding changed real tokens by a max relative " + diff);
            // Without the mask the same padding does change them, so the check above can fail.
            NDArray unmasked = model.forward(manager.create(new long[][] {{1, 7, 8, 9, 2, 55, 66, 77}}),
                    null, null, false);
            assertTrue(unmasked.get(new NDIndex(":, 0:5, :")).sub(alone).abs().max().getFloat() > 1e-3f);
        }
    }

    @Test
    void tokenTypesMatter() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel model = BertModel.randomTiny(3, manager)) {
            NDArray ids = manager.create(IDS);
            NDArray zeros = model.forward(ids, null, null, false);
            NDArray explicitZeros = model.forward(ids.toType(ai.djl.ndarray.types.DataType.INT32, false), null,
                    ids.zerosLike().toType(ai.djl.ndarray.types.DataType.INT32, false), false); // int32 works too
            NDArray ones = model.forward(ids, null, ids.onesLike(), false);
            assertEquals(0f, zeros.sub(explicitZeros).abs().max().getFloat(), 0f);
            assertTrue(zeros.sub(ones).abs().max().getFloat() > 1e-3f);
        }
    }

    @Test
    void evalIsDeterministicAndTrainingDropsOut() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel model = BertModel.randomTiny(4, manager)) {
            NDArray ids = manager.create(IDS);
            NDArray mask = manager.create(MASK);
            NDArray eval1 = model.forward(ids, mask, null, false);
            NDArray eval2 = model.forward(ids, mask, null, false);
            NDArray train1 = model.forward(ids, mask, null, true);
            NDArray train2 = model.forward(ids, mask, null, true);
            assertEquals(0f, eval1.sub(eval2).abs().max().getFloat(), 0f);
            assertTrue(train1.sub(eval1).abs().max().getFloat() > 1e-2f, "dropout had no effect in training");
            assertTrue(train1.sub(train2).abs().max().getFloat() > 1e-2f, "two training passes drew the same mask");
        }
    }

    @Test
    void theLayersDropOutInTrainingNotOnlyTheEmbeddings() {
        // hidden dropout 0 (embeddings and residual branches), attention dropout 0.3: only the layers can drop out
        try (NDManager manager = NDManager.newBaseManager();
                BertModel model = BertModel.random(BertConfig.tiny().withDropout(0f, 0.3f), 4, manager)) {
            NDArray ids = manager.create(IDS);
            NDArray mask = manager.create(MASK);
            NDArray eval = model.forward(ids, mask, null, false);
            NDArray train = model.forward(ids, mask, null, true);
            assertTrue(train.sub(eval).abs().max().getFloat() > 1e-2f, "the layers ran without their dropout");
        }
    }

    @Test
    void gradientsThroughLayersThatFreeTheirIntermediatesMatchFiniteDifferences() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel model = BertModel.randomTiny(8, manager)) {
            NDArray value = model.linearLayers().get("encoder.layer.0.attention.self.value").weight();
            value.setRequiresGradient(true);
            NDArray ids = manager.create(IDS);
            NDArray mask = manager.create(MASK);
            float[] analytic;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                // no dropout (training false) but under autograd: each layer's scope is closed before the backward
                collector.backward(model.forward(ids, mask, null, false).square().sum());
                analytic = value.getGradient().toFloatArray();
            }
            value.setRequiresGradient(false);
            float[] w = value.toFloatArray();
            double eps = 1e-2;
            for (int i : new int[] {0, 37, 500, 1023}) {
                double[] losses = new double[2];
                for (int s = 0; s < 2; s++) {
                    float[] shifted = w.clone();
                    shifted[i] += (float) (s == 0 ? eps : -eps);
                    dev.peft4j.core.nd.Tensors.overwrite(value, shifted);
                    losses[s] = model.forward(ids, mask, null, false).square().sum().getFloat();
                }
                dev.peft4j.core.nd.Tensors.overwrite(value, w);
                double numeric = (losses[0] - losses[1]) / (2 * eps);
                // the loss (~1e2: LayerNorm outputs squared) rounds by ~1e-5 relative in fp32; over 2 eps that is
                // ~1e-1 absolute in the slope, and the central difference's own O(eps^2) term is smaller
                assertEquals(numeric, analytic[i], 0.15 + 2e-2 * Math.abs(numeric), "dL/dW[" + i + "]");
            }
        }
    }

    @Test
    void geluIsTheExactErfForm() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] x = Activation.gelu(manager.create(new float[] {-2f, 1f, 3f})).toFloatArray();
            // x * Phi(x): exact values; the tanh approximation gives 0.841192 at 1 (off by 1.5e-4).
            // 0.5 x (1 + erf(x / sqrt 2)) in fp32 (vectorized erf differs per instruction set): a few ulp of the
            // terms' magnitude |x|, cancelling at x = -2; bound 1e-6 |x| (~16 u |x|), 150x below the tanh form's error
            assertEquals(-0.04550026f, x[0], 1e-6f * 2);
            assertEquals(0.84134475f, x[1], 1e-6f * 1);
            assertEquals(2.99595031f, x[2], 1e-6f * 3);
        }
    }

    @Test
    void gradientsFlowOnlyIntoMarkedParameters() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel model = BertModel.randomTiny(5, manager)) {
            NDArray query = model.linearLayers().get("encoder.layer.0.attention.self.query").weight();
            NDArray words = model.parameters().get("embeddings.word_embeddings.weight");
            NDArray key = model.linearLayers().get("encoder.layer.1.attention.self.key").weight();
            query.setRequiresGradient(true);
            words.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray hidden = model.forward(manager.create(IDS), manager.create(MASK), null, true);
                collector.backward(hidden.square().sum());
            }
            assertTrue(query.getGradient().abs().sum().getFloat() > 0f);
            // Only the rows of the ids used get a gradient: embedding lookup is differentiable.
            assertTrue(words.getGradient().get(7).abs().sum().getFloat() > 0f);
            assertEquals(0f, words.getGradient().get(50).abs().sum().getFloat(), 0f);
            assertFalse(key.hasGradient());
        }
    }

    @Test
    void trainingStepsDoNotGrowTheModelManager() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel model = BertModel.randomTiny(6, manager)) {
            NDArray query = model.linearLayers().get("encoder.layer.0.attention.self.query").weight();
            query.setRequiresGradient(true);
            int before = managed(model.manager());
            int rootBefore = managed(manager);
            for (int step = 0; step < 300; step++) {
                try (NDManager batch = manager.newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray hidden = model.forward(batch.create(IDS), batch.create(MASK), null, true);
                    collector.backward(hidden.square().mean());
                }
            }
            assertEquals(before, managed(model.manager()), "forward/backward left tensors on the model's manager");
            assertEquals(rootBefore, managed(manager), "closed batch managers must leave nothing behind");
        }
    }

    @Test
    void rejectsSequencesLongerThanThePositionTable() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel model = BertModel.randomTiny(7, manager)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(manager.ones(new ai.djl.ndarray.types.Shape(1, 65),
                            ai.djl.ndarray.types.DataType.INT64), null, null, false));
            assertTrue(e.getMessage().contains("65 tokens") && e.getMessage().contains("64 positions"), e.getMessage());
        }
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel model = BertModel.randomTiny(7, manager)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(manager.create(new long[][] {{101, 7592, 102}}), null, null, false));
            assertEquals("Input holds token ids in [101, 7592] but the vocabulary of random-bert has 100 rows; use"
                    + " the tokenizer that belongs to this model", e.getMessage());
        }
    }

    @Test
    void parametersFollowAReplacedSlotWeight() {
        try (NDManager manager = NDManager.newBaseManager(); BertModel model = BertModel.randomTiny(10, manager)) {
            String path = "encoder.layer.1.intermediate.dense";
            NDArray replacement = model.manager().zeros(new ai.djl.ndarray.types.Shape(64, 32));
            model.linearLayers().get(path).replaceWeight(replacement);
            assertTrue(model.parameters().get(path + ".weight") == replacement);
        }
    }

    @Test
    void sameSeedSameWeights() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel a = BertModel.randomTiny(8, manager);
                BertModel b = BertModel.randomTiny(8, manager);
                BertModel c = BertModel.randomTiny(9, manager)) {
            String name = "encoder.layer.1.output.dense.weight";
            assertEquals(a.parameters().get(name).sub(b.parameters().get(name)).abs().max().getFloat(), 0f, 0f);
            assertNotEquals(0f, a.parameters().get(name).sub(c.parameters().get(name)).abs().max().getFloat());
        }
    }

    private static int managed(NDManager manager) {
        return ((BaseNDManager) manager).getManagedArrays().size();
    }
}
