package dev.peft4j.train.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accuracy, F1 and Matthews correlation from predictions and labels. F1 is the positive class's
 * (label 1) for binary tasks and the macro average otherwise; MCC uses the multi-class form
 * (Gorodkin), which equals the usual formula for two classes.
 */
public record ClassificationMetrics(int count, double accuracy, double f1, double mcc, double loss) {

    public static ClassificationMetrics of(int[] predicted, int[] labels, int numLabels, double loss) {
        if (predicted.length != labels.length) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + labels.length + " labels");
        }
        long[][] confusion = new long[numLabels][numLabels]; // [true][predicted]
        int correct = 0;
        for (int i = 0; i < labels.length; i++) {
            confusion[labels[i]][predicted[i]]++;
            if (labels[i] == predicted[i]) {
                correct++;
            }
        }
        int n = labels.length;
        double accuracy = n == 0 ? 0 : (double) correct / n;
        return new ClassificationMetrics(n, accuracy, f1(confusion, numLabels), mcc(confusion, numLabels, correct, n),
                loss);
    }

    private static double f1(long[][] confusion, int numLabels) {
        if (numLabels == 2) {
            return classF1(confusion, 1);
        }
        double sum = 0;
        for (int k = 0; k < numLabels; k++) {
            sum += classF1(confusion, k);
        }
        return sum / numLabels;
    }

    private static double classF1(long[][] confusion, int k) {
        long tp = confusion[k][k];
        long predicted = 0;
        long actual = 0;
        for (int j = 0; j < confusion.length; j++) {
            predicted += confusion[j][k];
            actual += confusion[k][j];
        }
        return predicted + actual == 0 ? 0 : 2.0 * tp / (predicted + actual);
    }

    private static double mcc(long[][] confusion, int numLabels, long correct, long n) {
        double sumPredTrue = 0;
        double sumPred2 = 0;
        double sumTrue2 = 0;
        for (int k = 0; k < numLabels; k++) {
            long predictedK = 0;
            long actualK = 0;
            for (int j = 0; j < numLabels; j++) {
                predictedK += confusion[j][k];
                actualK += confusion[k][j];
            }
            sumPredTrue += (double) predictedK * actualK;
            sumPred2 += (double) predictedK * predictedK;
            sumTrue2 += (double) actualK * actualK;
        }
        double denominator = Math.sqrt((double) n * n - sumPred2) * Math.sqrt((double) n * n - sumTrue2);
        return denominator == 0 ? 0 : ((double) correct * n - sumPredTrue) / denominator;
    }

    /** The metric named {@code accuracy}, {@code f1} or {@code mcc}. */
    public double get(String name) {
        return switch (name) {
            case "accuracy" -> accuracy;
            case "f1" -> f1;
            case "mcc" -> mcc;
            default -> throw new IllegalArgumentException("Unknown metric '" + name + "'; use accuracy, f1 or mcc");
        };
    }

    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("count", count);
        map.put("accuracy", accuracy);
        map.put("f1", f1);
        map.put("mcc", mcc);
        map.put("loss", loss);
        return map;
    }
}
