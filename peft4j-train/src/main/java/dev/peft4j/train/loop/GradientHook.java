package dev.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * The seam between backward and the optimiser step: called once per optimiser step, after every micro-batch of the
 * step has accumulated its gradient and before AdamW reads it. A data-parallel trainer (e.g. over Spark) plugs in a
 * hook that all-reduces each {@code trainable.get(name).getGradient()} across workers and divides by their number,
 * so every worker takes the same step from the same averaged gradient.
 *
 * <p>Contract: modify gradients in place (the optimiser reads {@code getGradient()} of the same tensors); do not
 * touch the parameter values. The gradients already include the trainer's division by the gradient-accumulation
 * count, so a hook averaging over {@code k} workers divides by {@code k} only. For a resumed run to equal an
 * uninterrupted one, the hook must be deterministic in its inputs and {@code step}.
 */
@FunctionalInterface
public interface GradientHook {

    /** Leaves the gradients as backward left them (single-process training). */
    GradientHook NONE = (trainable, step) -> { };

    /**
     * @param trainable the tensors about to be updated, by name, in a fixed order (the same on every worker)
     * @param step the 0-based index of the optimiser step about to be taken, over the whole run
     */
    void beforeStep(Map<String, NDArray> trainable, int step);
}
