package dev.peft4j.train.metrics;

/**
 * One batch scored without dropout, as an objective hands it to the evaluators.
 *
 * @param lossSum the batch's loss summed over its loss units (for a mean loss of m over n units: m * n)
 * @param lossUnits what the loss averages over: examples for classification and regression values, unmasked tokens
 *     for a token loss; the loss over a data set is the sum of {@code lossSum} over the sum of {@code lossUnits}
 * @param examples examples in the batch
 * @param outputs what the task's own evaluators read (predictions and labels, token counts, squared errors)
 * @param <O> the task's output type
 */
public record EvaluatedBatch<O>(double lossSum, long lossUnits, int examples, O outputs) {
}
