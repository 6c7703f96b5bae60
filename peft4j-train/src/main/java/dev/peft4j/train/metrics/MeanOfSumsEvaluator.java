package dev.peft4j.train.metrics;

import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * A metric that is a function of a weighted mean: sum a per-batch total and a per-batch count over the pass, divide
 * (so a batch of 5 tokens weighs 5 times one of 1), then map the mean (identity for loss and MSE, exp for perplexity).
 */
final class MeanOfSumsEvaluator<O> implements Evaluator<O> {

    private final Metric metric;
    private final ToDoubleFunction<EvaluatedBatch<? extends O>> total;
    private final ToLongFunction<EvaluatedBatch<? extends O>> count;
    private final DoubleUnaryOperator ofMean;

    MeanOfSumsEvaluator(Metric metric, ToDoubleFunction<EvaluatedBatch<? extends O>> total,
            ToLongFunction<EvaluatedBatch<? extends O>> count, DoubleUnaryOperator ofMean) {
        this.metric = metric;
        this.total = total;
        this.count = count;
        this.ofMean = ofMean;
    }

    @Override
    public List<Metric> metrics() {
        return List.of(metric);
    }

    @Override
    public Accumulator<O> start() {
        return new Accumulator<>() {
            private double sum;
            private long units;

            @Override
            public void add(EvaluatedBatch<? extends O> batch) {
                sum += total.applyAsDouble(batch);
                units += count.applyAsLong(batch);
            }

            @Override
            public Map<String, Double> result() {
                // max(1, units): an empty pass reports 0 rather than NaN, as the trainer always has
                return Map.of(metric.name(), ofMean.applyAsDouble(sum / Math.max(1, units)));
            }
        };
    }
}
