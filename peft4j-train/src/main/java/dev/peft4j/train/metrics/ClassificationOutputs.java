package dev.peft4j.train.metrics;

/**
 * What classification evaluators read from one batch: the arg-max prediction and the label of each example.
 *
 * @param numLabels the number of classes, which sizes the confusion matrix
 */
public record ClassificationOutputs(int[] predicted, int[] labels, int numLabels) {

    public ClassificationOutputs {
        if (predicted.length != labels.length) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + labels.length + " labels");
        }
    }
}
