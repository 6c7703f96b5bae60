package dev.peft4j.train.metrics;

import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** One classification metric read off the confusion matrix of a pass (accuracy, F1 or MCC). */
final class ConfusionMatrixEvaluator implements Evaluator<ClassificationOutputs> {

    private final Metric metric;
    private final ToDoubleFunction<ConfusionMatrix> value;

    ConfusionMatrixEvaluator(Metric metric, ToDoubleFunction<ConfusionMatrix> value) {
        this.metric = metric;
        this.value = value;
    }

    @Override
    public List<Metric> metrics() {
        return List.of(metric);
    }

    @Override
    public Accumulator<ClassificationOutputs> start() {
        return new Accumulator<>() {
            private ConfusionMatrix matrix;

            @Override
            public void add(EvaluatedBatch<? extends ClassificationOutputs> batch) {
                ClassificationOutputs outputs = batch.outputs();
                if (matrix == null) {
                    matrix = new ConfusionMatrix(outputs.numLabels());
                }
                for (int i = 0; i < outputs.labels().length; i++) {
                    matrix.add(outputs.labels()[i], outputs.predicted()[i]);
                }
            }

            @Override
            public Map<String, Double> result() {
                return Map.of(metric.name(), matrix == null ? 0 : value.applyAsDouble(matrix));
            }
        };
    }
}
