package dev.peft4j.train.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EvaluatorsTest {

    @Test
    void classificationMetricsByHand() {
        // labels 0 0 1 1 1, predicted 0 1 1 1 0: TP 2, TN 1, FP 1, FN 1
        EvaluatedBatch<ClassificationOutputs> batch = new EvaluatedBatch<>(0, 5, 5,
                new ClassificationOutputs(new int[] {0, 1, 1, 1, 0}, new int[] {0, 0, 1, 1, 1}, 2));
        assertEquals(0.6, value(Evaluators.accuracy(), batch, "accuracy"), 1e-15);
        assertEquals(2.0 / 3, value(Evaluators.f1(), batch, "f1"), 1e-15, "2 TP / (3 predicted + 3 actual)");
        assertEquals(1.0 / 6, value(Evaluators.mcc(), batch, "mcc"), 1e-15, "(2*1 - 1*1) / sqrt(3*3*2*2)");
    }

    @Test
    void theLossIsWeightedByLossUnits() {
        Evaluator.Accumulator<Object> loss = Evaluators.loss().start();
        loss.add(new EvaluatedBatch<>(2.0, 4, 4, null)); // mean 0.5 over 4
        loss.add(new EvaluatedBatch<>(3.0, 1, 1, null)); // 3 over 1
        assertEquals(1.0, loss.result().get("loss"), 1e-15);
    }

    @Test
    void directions() {
        assertTrue(Direction.HIGHER_IS_BETTER.isBetter(0.9, 0.8));
        assertTrue(Direction.LOWER_IS_BETTER.isBetter(0.8, 0.9));
        assertTrue(Direction.LOWER_IS_BETTER.isBetter(1e300, Direction.LOWER_IS_BETTER.worst()));
        assertTrue(!Direction.HIGHER_IS_BETTER.isBetter(Double.NaN, Direction.HIGHER_IS_BETTER.worst()));
        assertEquals(Direction.LOWER_IS_BETTER, Evaluators.perplexity().metrics().get(0).direction());
        assertEquals(Direction.HIGHER_IS_BETTER, Evaluators.mcc().metrics().get(0).direction());
    }

    @Test
    void unknownAndDuplicateNamesAreClearErrors() {
        List<Evaluator<? super TokenOutputs>> lm = List.of(Evaluators.loss(), Evaluators.perplexity());
        assertEquals("perplexity", Evaluators.find("perplexity", lm).name());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Evaluators.find("accuracy", lm));
        assertTrue(unknown.getMessage().contains("Unknown metric 'accuracy'") && unknown.getMessage()
                .contains("loss (lower is better), perplexity (lower is better)"), unknown.getMessage());
        IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class,
                () -> Evaluators.metrics(List.of(Evaluators.loss(), Evaluators.loss())));
        assertTrue(duplicate.getMessage().contains("'loss'"), duplicate.getMessage());
    }

    @Test
    void metricsRoundTripThroughTheirMapIncludingNonFiniteValuesAsJacksonWritesThem() {
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("accuracy", 0.5);
        values.put("loss", Double.NaN);
        Metrics metrics = new Metrics(10, values);
        assertEquals(List.of("count", "accuracy", "loss"), new ArrayList<>(metrics.toMap().keySet()));
        Map<String, Object> fromJson = new LinkedHashMap<>(metrics.toMap());
        fromJson.put("loss", "NaN");
        assertEquals(metrics, Metrics.fromMap(fromJson));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, metrics::perplexity);
        assertTrue(e.getMessage().contains("this evaluation has accuracy, loss"), e.getMessage());
    }

    private static <O> double value(Evaluator<O> evaluator, EvaluatedBatch<O> batch, String name) {
        Evaluator.Accumulator<O> acc = evaluator.start();
        acc.add(batch);
        return acc.result().get(name);
    }
}
