/** Evaluation metrics for classification: accuracy, F1, Matthews correlation. */
package dev.peft4j.train.metrics;
