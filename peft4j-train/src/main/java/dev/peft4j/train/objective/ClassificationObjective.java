package dev.peft4j.train.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.train.metrics.ClassificationOutputs;
import dev.peft4j.train.metrics.EvaluatedBatch;
import dev.peft4j.train.metrics.Evaluator;
import dev.peft4j.train.metrics.Evaluators;
import java.util.List;

/**
 * Cross-entropy over a {@link Classifier}'s logits with one integer label per example; evaluated by accuracy, F1,
 * MCC and loss.
 */
public final class ClassificationObjective<E> implements Objective<E, ClassificationOutputs> {

    private final Classifier<E> classifier;

    public ClassificationObjective(Classifier<E> classifier) {
        this.classifier = classifier;
    }

    /** accuracy, f1, mcc, loss: in this order in every report (and {@code metrics.jsonl}). */
    public static List<Evaluator<? super ClassificationOutputs>> standardEvaluators() {
        return List.of(Evaluators.accuracy(), Evaluators.f1(), Evaluators.mcc(), Evaluators.loss());
    }

    @Override
    public List<Evaluator<? super ClassificationOutputs>> evaluators() {
        return standardEvaluators();
    }

    @Override
    public PeftModel peftModel() {
        return classifier.peftModel();
    }

    public Classifier<E> classifier() {
        return classifier;
    }

    @Override
    public NDArray trainingLoss(List<E> batch, NDManager manager) {
        NDArray logits = classifier.logits(batch, manager, true);
        return crossEntropy(logits, labels(batch, manager));
    }

    @Override
    public EvaluatedBatch<ClassificationOutputs> evaluate(List<E> batch, NDManager manager) {
        NDArray logits = classifier.logits(batch, manager, false);
        NDArray target = labels(batch, manager);
        // a float product, widened afterwards: exactly the sum the trainer has always accumulated
        double lossSum = crossEntropy(logits, target).getFloat() * batch.size();
        long[] argMax = logits.argMax(1).toLongArray();
        int[] predicted = new int[batch.size()];
        int[] labels = new int[batch.size()];
        for (int i = 0; i < batch.size(); i++) {
            predicted[i] = (int) argMax[i];
            labels[i] = classifier.label(batch.get(i));
        }
        return new EvaluatedBatch<>(lossSum, batch.size(), batch.size(),
                new ClassificationOutputs(predicted, labels, classifier.numLabels()));
    }

    private NDArray labels(List<E> batch, NDManager manager) {
        int[] labels = new int[batch.size()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = classifier.label(batch.get(i));
        }
        return manager.create(labels);
    }

    /**
     * Mean over the batch of -log softmax(logits)[label], as {@code logSoftmax * oneHot} summed per row: logits
     * [batch, classes], labels [batch] of class indices.
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray logProbs = logits.logSoftmax(1);
        NDArray oneHot = labels.oneHot((int) logits.getShape().get(1));
        return logProbs.mul(oneHot).sum(new int[] {1}).neg().mean();
    }
}
