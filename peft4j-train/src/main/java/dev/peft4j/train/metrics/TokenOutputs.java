package dev.peft4j.train.metrics;

/**
 * What token-level evaluators read from one batch.
 *
 * @param nllSum negative log-likelihood summed over the unmasked tokens
 * @param tokens the number of unmasked tokens
 */
public record TokenOutputs(double nllSum, long tokens) {
}
