package dev.peft4j.train.metrics;

/**
 * Counts of (true label, predicted label) pairs, and accuracy, F1 and Matthews correlation from them. F1 is the
 * positive class's (label 1) for binary tasks and the macro average otherwise; MCC uses the multi-class form
 * (Gorodkin), which equals the usual formula for two classes.
 */
public final class ConfusionMatrix {

    private final long[][] counts; // [true][predicted]
    private long correct;
    private long total;

    public ConfusionMatrix(int numLabels) {
        if (numLabels < 1) {
            throw new IllegalArgumentException("A confusion matrix needs at least one class, found " + numLabels);
        }
        counts = new long[numLabels][numLabels];
    }

    public void add(int label, int predicted) {
        if (label < 0 || label >= counts.length || predicted < 0 || predicted >= counts.length) {
            throw new IllegalArgumentException("Label " + label + " / prediction " + predicted + " outside [0, "
                    + counts.length + "): the objective's numLabels must cover every class");
        }
        counts[label][predicted]++;
        total++;
        if (label == predicted) {
            correct++;
        }
    }

    public int numLabels() {
        return counts.length;
    }

    public double accuracy() {
        return total == 0 ? 0 : (double) correct / total;
    }

    public double f1() {
        int numLabels = counts.length;
        if (numLabels == 2) {
            return classF1(1);
        }
        double sum = 0;
        for (int k = 0; k < numLabels; k++) {
            sum += classF1(k);
        }
        return sum / numLabels;
    }

    private double classF1(int k) {
        long tp = counts[k][k];
        long predicted = 0;
        long actual = 0;
        for (int j = 0; j < counts.length; j++) {
            predicted += counts[j][k];
            actual += counts[k][j];
        }
        return predicted + actual == 0 ? 0 : 2.0 * tp / (predicted + actual);
    }

    public double mcc() {
        int numLabels = counts.length;
        double sumPredTrue = 0;
        double sumPred2 = 0;
        double sumTrue2 = 0;
        for (int k = 0; k < numLabels; k++) {
            long predictedK = 0;
            long actualK = 0;
            for (int j = 0; j < numLabels; j++) {
                predictedK += counts[j][k];
                actualK += counts[k][j];
            }
            sumPredTrue += (double) predictedK * actualK;
            sumPred2 += (double) predictedK * predictedK;
            sumTrue2 += (double) actualK * actualK;
        }
        long n = total;
        double denominator = Math.sqrt((double) n * n - sumPred2) * Math.sqrt((double) n * n - sumTrue2);
        return denominator == 0 ? 0 : ((double) correct * n - sumPredTrue) / denominator;
    }
}
