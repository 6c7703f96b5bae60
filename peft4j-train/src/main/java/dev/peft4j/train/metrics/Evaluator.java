package dev.peft4j.train.metrics;

import java.util.List;
import java.util.Map;

/**
 * Turns the evaluated batches of one pass over a data set into named metrics. An evaluator is a description; each pass
 * {@link #start() starts} a fresh {@link Accumulator}, so one evaluator serves validation and test without state
 * leaking between them.
 *
 * @param <O> the objective outputs it reads ({@code Object} for evaluators that only read the loss)
 */
public interface Evaluator<O> {

    /** The metrics {@link Accumulator#result()} reports, with their directions. */
    List<Metric> metrics();

    /** A fresh accumulation for one pass. */
    Accumulator<O> start();

    /** The running state of one pass. */
    interface Accumulator<O> {

        void add(EvaluatedBatch<? extends O> batch);

        /** One value per {@link Evaluator#metrics() metric}, by name. */
        Map<String, Double> result();
    }
}
