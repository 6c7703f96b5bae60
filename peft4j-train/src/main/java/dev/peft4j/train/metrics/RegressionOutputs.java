package dev.peft4j.train.metrics;

/**
 * What regression evaluators read from one batch.
 *
 * @param squaredErrorSum the sum of (prediction - target)^2 over every predicted value
 * @param values how many values were predicted (examples x outputs per example)
 */
public record RegressionOutputs(double squaredErrorSum, long values) {
}
