package dev.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.adapter.TrainingHook;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a checkpoint needs at a point of the loop: its position, the live trainable tensors, the optimiser and the
 * method's {@link TrainingHook}, and the best epoch's values. Opaque outside this package: only the checkpoint
 * writer reads it, and copies happen only when it saves.
 */
public final class ResumableState {

    private final Checkpoint.Position position;
    private final Live live;
    private final Best best;

    /** The run's objects whose values a checkpoint copies. */
    record Live(Map<String, NDArray> params, AdamW optimizer, TrainingHook hook) {
    }

    /** The best epoch's trainable tensors and the hook's state then (empty without a hook). */
    record Best(Map<String, float[]> params, Map<String, float[]> hook) {
    }

    ResumableState(Checkpoint.Position position, Live live, Best best) {
        this.position = position;
        this.live = live;
        this.best = best;
    }

    Checkpoint.Position position() {
        return position;
    }

    Map<String, float[]> paramValues() {
        return snapshot(live.params());
    }

    Map<String, float[]> optimizerState() {
        return live.optimizer().state();
    }

    Map<String, float[]> best() {
        return best.params();
    }

    /** The hook's state now, or null when the run has no hook (its checkpoints then hold no hook files). */
    Map<String, float[]> hookState() {
        return live.hook() == TrainingHook.NONE ? null : live.hook().state();
    }

    /** The hook's state at the best epoch, or null when the run has no hook. */
    Map<String, float[]> bestHookState() {
        return live.hook() == TrainingHook.NONE ? null : best.hook();
    }

    static Map<String, float[]> snapshot(Map<String, NDArray> params) {
        Map<String, float[]> copy = new LinkedHashMap<>();
        params.forEach((k, v) -> copy.put(k, v.toFloatArray()));
        return copy;
    }
}
