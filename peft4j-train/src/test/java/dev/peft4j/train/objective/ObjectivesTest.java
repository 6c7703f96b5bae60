package dev.peft4j.train.objective;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.train.metrics.ClassificationOutputs;
import dev.peft4j.train.metrics.EvaluatedBatch;
import dev.peft4j.train.metrics.Evaluator;
import dev.peft4j.train.metrics.Evaluators;
import dev.peft4j.train.metrics.RegressionOutputs;
import dev.peft4j.train.metrics.TokenOutputs;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The three objectives on tensors small enough to check by hand (float32 engine: 1e-6 relative is rounding). */
class ObjectivesTest {

    private final NDManager manager = NDManager.newBaseManager();
    private static final double LN2 = Math.log(2);
    private static final double LN3 = Math.log(3);

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void crossEntropyIsTheMeanNegativeLogProbabilityOfTheLabel() {
        // row 1: softmax(0, ln 3) = (1/4, 3/4), label 1 -> ln(4/3); row 2: (1/2, 1/2), label 0 -> ln 2
        float[][] logits = {{0f, (float) LN3}, {0f, 0f}};
        Classifier<Integer> fixed = classifier(logits, new int[] {1, 0});
        ClassificationObjective<Integer> objective = new ClassificationObjective<>(fixed);
        double expected = (Math.log(4.0 / 3) + LN2) / 2;
        assertEquals(expected, objective.trainingLoss(List.of(0, 1), manager).getFloat(), 1e-6);
        EvaluatedBatch<ClassificationOutputs> batch = objective.evaluate(List.of(0, 1), manager);
        assertEquals(2 * expected, batch.lossSum(), 1e-6);
        assertEquals(2, batch.lossUnits());
        assertArrayEquals(new int[] {1, 0}, batch.outputs().predicted(), "arg-max, first on a tie");
        assertArrayEquals(new int[] {1, 0}, batch.outputs().labels());
    }

    @Test
    void theTokenLossIsTheMeanNllOverUnmaskedTokensOnly() {
        // positions: (0, 0) -> target 1: ln 2; (ln 3, 0) -> target 0: ln(4/3); (0, 5) -> target 0 but masked out
        // (it would add ln(1 + e^5) = 5.0067)
        NDArray logits = manager.create(new float[] {0, 0, (float) LN3, 0, 0, 5}, new Shape(1, 3, 2));
        NDArray targets = manager.create(new int[] {1, 0, 0}, new Shape(1, 3));
        NDArray mask = manager.create(new float[] {1, 1, 0}, new Shape(1, 3));
        CausalLmObjective<Integer> objective = new CausalLmObjective<>(predictor(logits, targets, mask));
        double sum = LN2 + Math.log(4.0 / 3); // = ln(8/3)
        assertEquals(sum, CausalLmObjective.maskedNllSum(logits, targets, mask).getFloat(), 1e-6);
        assertEquals(sum / 2, objective.trainingLoss(List.of(0), manager).getFloat(), 1e-6);
        EvaluatedBatch<TokenOutputs> batch = objective.evaluate(List.of(0), manager);
        assertEquals(2, batch.lossUnits(), "two unmasked tokens");
        assertEquals(sum, batch.outputs().nllSum(), 1e-6);
        double perplexity = run(Evaluators.perplexity(), batch).get("perplexity");
        assertEquals(Math.sqrt(8.0 / 3), perplexity, 1e-6, "exp(ln(8/3) / 2)");
    }

    @Test
    void uniformLogitsOverVClassesHavePerplexityV() {
        int v = 7;
        NDArray logits = manager.zeros(new Shape(2, 3, v));
        NDArray targets = manager.create(new int[] {0, 6, 3, 2, 1, 5}, new Shape(2, 3));
        NDArray mask = manager.create(new boolean[] {true, true, false, true, false, false}, new Shape(2, 3));
        EvaluatedBatch<TokenOutputs> batch = new CausalLmObjective<>(predictor(logits, targets, mask))
                .evaluate(List.of(0, 1), manager);
        assertEquals(3, batch.outputs().tokens());
        assertEquals(v, run(Evaluators.perplexity(), batch).get("perplexity"), 1e-5);
    }

    @Test
    void perplexityWeighsBatchesByTheirTokenCount() {
        // one token of NLL 3 and three tokens of NLL 1: exp((3 + 3) / 4), not exp((3 + 1) / 2)
        EvaluatedBatch<TokenOutputs> a = new EvaluatedBatch<>(3, 1, 1, new TokenOutputs(3, 1));
        EvaluatedBatch<TokenOutputs> b = new EvaluatedBatch<>(3, 3, 1, new TokenOutputs(3, 3));
        Evaluator.Accumulator<TokenOutputs> acc = Evaluators.perplexity().start();
        acc.add(a);
        acc.add(b);
        assertEquals(Math.exp(1.5), acc.result().get("perplexity"), 1e-12);
        Evaluator.Accumulator<Object> loss = Evaluators.loss().start();
        loss.add(a);
        loss.add(b);
        assertEquals(1.5, loss.result().get("loss"), 1e-12);
    }

    @Test
    void aBatchWithoutUnmaskedTokensIsAClearError() {
        NDArray logits = manager.zeros(new Shape(1, 2, 3));
        NDArray targets = manager.create(new int[] {0, 1}, new Shape(1, 2));
        NDArray mask = manager.zeros(new Shape(1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CausalLmObjective<>(predictor(logits, targets, mask)).trainingLoss(List.of(0), manager));
        assertTrue(e.getMessage().contains("no unmasked token"), e.getMessage());
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> CausalLmObjective.tokenNll(logits, manager.create(new int[] {0, 1, 2}, new Shape(1, 3))));
        assertTrue(shape.getMessage().contains("targets [batch, positions]"), shape.getMessage());
    }

    @Test
    void mseIsTheMeanSquaredErrorOverEveryValue() {
        // errors 0, 2, 3 -> squares 0, 4, 9 -> mean 13/3
        RegressionObjective<Integer> objective = new RegressionObjective<>(regressor(
                new float[] {1, 2, 4}, new float[][] {{1}, {0}, {1}}));
        assertEquals(13.0 / 3, objective.trainingLoss(List.of(0, 1, 2), manager).getFloat(), 1e-6);
        EvaluatedBatch<RegressionOutputs> batch = objective.evaluate(List.of(0, 1, 2), manager);
        assertEquals(13, batch.outputs().squaredErrorSum(), 1e-6);
        assertEquals(13.0 / 3, run(Evaluators.meanSquaredError(), batch).get("mse"), 1e-6);
        assertEquals(13.0 / 3, run(Evaluators.loss(), batch).get("loss"), 1e-6);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RegressionObjective
                .squaredErrors(manager.zeros(new Shape(3, 2)), manager.zeros(new Shape(3, 1))));
        assertTrue(e.getMessage().contains("like the targets (3, 1), found (3, 2)"), e.getMessage());
    }

    private static <O> java.util.Map<String, Double> run(Evaluator<? super O> evaluator, EvaluatedBatch<O> batch) {
        Evaluator.Accumulator<? super O> acc = evaluator.start();
        acc.add(batch);
        return acc.result();
    }

    private Classifier<Integer> classifier(float[][] logits, int[] labels) {
        return new Classifier<>() {
            @Override
            public NDArray logits(List<Integer> batch, NDManager m, boolean training) {
                float[] flat = new float[batch.size() * logits[0].length];
                for (int i = 0; i < batch.size(); i++) {
                    System.arraycopy(logits[batch.get(i)], 0, flat, i * logits[0].length, logits[0].length);
                }
                return m.create(flat, new Shape(batch.size(), logits[0].length));
            }

            @Override
            public int label(Integer example) {
                return labels[example];
            }

            @Override
            public int numLabels() {
                return logits[0].length;
            }

            @Override
            public PeftModel peftModel() {
                throw new UnsupportedOperationException("not needed to score a batch");
            }
        };
    }

    private static TokenPredictor<Integer> predictor(NDArray logits, NDArray targets, NDArray mask) {
        return new TokenPredictor<>() {
            @Override
            public TokenBatch predict(List<Integer> batch, NDManager m, boolean training) {
                return new TokenBatch(logits, targets, mask);
            }

            @Override
            public PeftModel peftModel() {
                throw new UnsupportedOperationException("not needed to score a batch");
            }
        };
    }

    private static Regressor<Integer> regressor(float[] predictions, float[][] targets) {
        return new Regressor<>() {
            @Override
            public NDArray predictions(List<Integer> batch, NDManager m, boolean training) {
                return m.create(predictions); // [batch]: read as [batch, 1]
            }

            @Override
            public float[] target(Integer example) {
                return targets[example];
            }

            @Override
            public PeftModel peftModel() {
                throw new UnsupportedOperationException("not needed to score a batch");
            }
        };
    }
}
