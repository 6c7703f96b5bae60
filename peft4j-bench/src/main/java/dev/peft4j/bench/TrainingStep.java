package dev.peft4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.loop.AdamW;
import dev.peft4j.train.objective.ClassificationObjective;
import java.util.Map;

/**
 * One training step of one configuration, as {@code Trainer} does it: inputs created in a per-step manager, forward
 * with dropout, the trainer's cross-entropy ({@link ClassificationObjective#crossEntropy}), backward, the fused AdamW update, then the step's manager closed (which
 * frees the activations: part of the step's cost).
 */
final class TrainingStep implements AutoCloseable {

    private static final float LR = 1e-4f;

    private final PeftModel peft;
    private final SequenceClassifier classifier;
    private final Workload workload;
    private final Map<String, NDArray> params;
    private final AdamW optimizer;

    TrainingStep(PeftModel peft, Workload workload) {
        this.peft = peft;
        this.classifier = (SequenceClassifier) peft.model();
        this.workload = workload;
        this.params = peft.trainableParameters();
        this.optimizer = new AdamW(peft.model().manager(), 0f);
    }

    /**
     * Forward, backward and update; returns the seconds spent in each phase: forward (with the loss), backward, and
     * the rest (freeing the step's tensors and the optimiser update).
     */
    double[] run() {
        long start = System.nanoTime();
        long forwardDone;
        long backwardDone;
        try (NDManager step = peft.model().manager().newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray logits = classifier.forward(workload.ids(step), workload.mask(step), null, true);
            NDArray value = ClassificationObjective.crossEntropy(logits, workload.labels(step));
            value.getFloat(); // CPU ops run eagerly; the read only makes the phase boundary explicit
            forwardDone = System.nanoTime();
            collector.backward(value);
            backwardDone = System.nanoTime();
        }
        optimizer.step(params, LR);
        long end = System.nanoTime();
        return new double[] {(forwardDone - start) / 1e9, (backwardDone - forwardDone) / 1e9, (end - backwardDone) / 1e9};
    }

    long trainableCount() {
        return params.values().stream().mapToLong(t -> t.getShape().size()).sum();
    }

    @Override
    public void close() {
        optimizer.close();
    }
}
