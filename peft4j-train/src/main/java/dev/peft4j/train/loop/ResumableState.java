package dev.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a checkpoint needs at a point of the loop: its position, the live trainable tensors, the optimiser and the
 * best epoch's values. Opaque outside this package: only the checkpoint writer reads it, and copies happen only
 * when it saves.
 */
public final class ResumableState {

    private final Checkpoint.Position position;
    private final Map<String, NDArray> params;
    private final AdamW optimizer;
    private final Map<String, float[]> best;

    ResumableState(Checkpoint.Position position, Map<String, NDArray> params, AdamW optimizer,
            Map<String, float[]> best) {
        this.position = position;
        this.params = params;
        this.optimizer = optimizer;
        this.best = best;
    }

    Checkpoint.Position position() {
        return position;
    }

    Map<String, float[]> paramValues() {
        return snapshot(params);
    }

    Map<String, float[]> optimizerState() {
        return optimizer.state();
    }

    Map<String, float[]> best() {
        return best;
    }

    static Map<String, float[]> snapshot(Map<String, NDArray> params) {
        Map<String, float[]> copy = new LinkedHashMap<>();
        params.forEach((k, v) -> copy.put(k, v.toFloatArray()));
        return copy;
    }
}
