/**
 * Pluggable evaluation: an {@link dev.peft4j.train.metrics.Evaluator} turns the batches an objective scores into
 * named {@link dev.peft4j.train.metrics.Metric}s with a direction (accuracy, F1, MCC, loss, perplexity, MSE);
 * {@link dev.peft4j.train.metrics.Metrics} holds one split's values.
 */
package dev.peft4j.train.metrics;
