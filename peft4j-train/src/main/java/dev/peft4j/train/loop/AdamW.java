package dev.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (decoupled weight decay) over named tensors, using the engine's fused {@code adamUpdate}
 * kernel exactly as DJL's {@code ai.djl.training.optimizer.AdamW} calls it.
 *
 * <p>Why not DJL's class directly: it keeps its moments and step counts private, so a checkpoint
 * cannot save them and a resumed run would restart Adam from zero. Here the state is ours to save.
 */
public final class AdamW implements AutoCloseable {

    private final NDManager manager;
    private final float beta1;
    private final float beta2;
    private final float epsilon;
    private final float weightDecay;
    private final Map<String, NDArray> means = new LinkedHashMap<>();
    private final Map<String, NDArray> variances = new LinkedHashMap<>();
    private int step;

    public AdamW(NDManager parent, float weightDecay) {
        this.manager = parent.newSubManager();
        this.beta1 = 0.9f;
        this.beta2 = 0.999f;
        this.epsilon = 1e-8f;
        this.weightDecay = weightDecay;
    }

    /** One update of every tensor in {@code params} with the same learning rate (benchmarks). */
    public void step(Map<String, NDArray> params, float learningRate) {
        Map<String, Float> rates = new LinkedHashMap<>();
        params.keySet().forEach(name -> rates.put(name, learningRate));
        step(params, rates);
    }

    /** One update of every tensor in {@code params}, each with its own learning rate; the gradients are cleared. */
    public void step(Map<String, NDArray> params, Map<String, Float> learningRates) {
        update(params, learningRates, false);
    }

    /**
     * The update of {@link #step(Map, Map)} with the gradients left as backward made them, for a caller that reads
     * them after the step (a {@code TrainingHook}) and then calls {@link #clearGradients}. The engine's fused kernel
     * zeroes each gradient it reads, so each is copied before and added back after.
     */
    void updateKeepingGradients(Map<String, NDArray> params, Map<String, Float> learningRates) {
        update(params, learningRates, true);
    }

    private void update(Map<String, NDArray> params, Map<String, Float> learningRates, boolean keepGradients) {
        step++;
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2 = 1 - Math.pow(beta2, step);
        for (Map.Entry<String, NDArray> entry : params.entrySet()) {
            String name = entry.getKey();
            NDArray weight = entry.getValue();
            float lr = learningRates.get(name);
            float correctedLr = (float) (lr * Math.sqrt(biasCorrection2) / biasCorrection1);
            NDArray mean = means.computeIfAbsent(name, k -> manager.zeros(weight.getShape()));
            NDArray variance = variances.computeIfAbsent(name, k -> manager.zeros(weight.getShape()));
            try (NDArray grad = weight.getGradient(); NDArray kept = keepGradients ? grad.duplicate() : null) {
                weight.getNDArrayInternal().adamUpdate(new NDList(weight, grad, mean, variance), new NDList(weight),
                        lr, correctedLr, weightDecay, 1f, -1f, beta1, beta2, epsilon, true, true);
                if (keepGradients) {
                    grad.addi(kept); // into the zeroed gradient: 0 + g = g exactly
                } else {
                    grad.muli(0); // PyTorch accumulates gradients; clear them for the next step
                }
            }
        }
    }

    /** PyTorch accumulates gradients: clears them for the next step. */
    static void clearGradients(Map<String, NDArray> params) {
        for (NDArray weight : params.values()) {
            try (NDArray grad = weight.getGradient()) {
                grad.muli(0);
            }
        }
    }

    int stepCount() {
        return step;
    }

    /** Moments and step, keyed {@code m.<name>} / {@code v.<name>}, for checkpoints. */
    Map<String, float[]> state() {
        Map<String, float[]> state = new LinkedHashMap<>();
        means.forEach((k, v) -> state.put("m." + k, v.toFloatArray()));
        variances.forEach((k, v) -> state.put("v." + k, v.toFloatArray()));
        return state;
    }

    void restore(Map<String, float[]> state, int stepCount, Map<String, NDArray> params) {
        step = stepCount;
        params.forEach((name, weight) -> {
            float[] m = state.get("m." + name);
            float[] v = state.get("v." + name);
            if (m != null && v != null) {
                means.put(name, manager.create(m, weight.getShape()));
                variances.put(name, manager.create(v, weight.getShape()));
            }
        });
    }

    @Override
    public void close() {
        manager.close();
    }
}
