package dev.peft4j.train.loop;

import ai.djl.ndarray.NDManager;
import dev.peft4j.train.metrics.EvaluatedBatch;
import dev.peft4j.train.metrics.Evaluator;
import dev.peft4j.train.metrics.Evaluators;
import dev.peft4j.train.metrics.Metric;
import dev.peft4j.train.metrics.Metrics;
import dev.peft4j.train.objective.Objective;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One objective with its evaluators: runs a pass over a data set in consecutive batches without dropout and
 * collects every evaluator's metrics. It ties the objective's output type to its evaluators' so that the trainer
 * need not know it.
 */
final class Evaluation<E, O> {

    private final Objective<E, O> objective;
    private final List<Evaluator<? super O>> evaluators;
    private final List<Metric> metrics;

    Evaluation(Objective<E, O> objective, List<? extends Evaluator<? super O>> evaluators) {
        this.objective = objective;
        this.evaluators = List.copyOf(evaluators);
        this.metrics = Evaluators.metrics(this.evaluators); // rejects an empty list and duplicate names
    }

    List<Metric> metrics() {
        return metrics;
    }

    Metric metric(String name) {
        return Evaluators.find(name, evaluators);
    }

    Metrics run(List<E> data, int batchSize) {
        List<Evaluator.Accumulator<? super O>> accumulators = new ArrayList<>();
        evaluators.forEach(evaluator -> accumulators.add(evaluator.start()));
        int batches = (data.size() + batchSize - 1) / batchSize;
        int examples = 0;
        for (int b = 0; b < batches; b++) {
            List<E> batch = data.subList(b * batchSize, Math.min(data.size(), (b + 1) * batchSize));
            try (NDManager batchManager = objective.peftModel().model().manager().newSubManager()) {
                EvaluatedBatch<O> scored = objective.evaluate(batch, batchManager);
                accumulators.forEach(accumulator -> accumulator.add(scored));
                examples += scored.examples();
            }
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (int i = 0; i < accumulators.size(); i++) {
            Map<String, Double> result = accumulators.get(i).result();
            for (Metric metric : evaluators.get(i).metrics()) {
                Double value = result.get(metric.name());
                if (value == null) {
                    throw new IllegalStateException("Evaluator " + evaluators.get(i).getClass().getName()
                            + " declares metric '" + metric.name() + "' but its result has only " + result.keySet());
                }
                values.put(metric.name(), value);
            }
        }
        return new Metrics(examples, values);
    }
}
