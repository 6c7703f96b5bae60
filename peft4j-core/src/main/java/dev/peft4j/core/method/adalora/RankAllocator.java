package dev.peft4j.core.method.adalora;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * peft's {@code RankAllocator}: the importance of every singular triplet of an AdaLoRA adapter, and the masking of
 * the least important ones down to a budget.
 *
 * <p>Per entry of A, E and B: the sensitivity {@code I = |p · grad|}, smoothed {@code Ī ← β1 Ī + (1 - β1) I}, its
 * uncertainty {@code Ū ← β2 Ū + (1 - β2) |I - Ī|}, and the score {@code s = Ī · Ū}. Triplet i of a weight scores
 * {@code s(E_i) + mean_j s(A_ij) + mean_j s(B_ji)}; across all weights, the triplets scoring at or below the k-th
 * smallest score ({@code k = initial budget - budget}) have their E entry zeroed. Scores are float as peft's; means
 * are summed in double.
 */
final class RankAllocator {

    private static final String IMPORTANCE = "ema_ipt.";
    private static final String UNCERTAINTY = "ema_unc.";

    private final Map<String, AdaLoraLayer> layers; // by module path, in the model's order
    private final float beta1;
    private final float beta2;
    private final Map<String, float[]> importance = new LinkedHashMap<>(); // Ī by tensor key <path>.lora_X
    private final Map<String, float[]> uncertainty = new LinkedHashMap<>(); // Ū by tensor key

    RankAllocator(Map<String, AdaLoraLayer> layers, float beta1, float beta2) {
        this.layers = layers;
        this.beta1 = beta1;
        this.beta2 = beta2;
    }

    /** The triplets of all layers together (peft's {@code init_bgt}). */
    int initialBudget() {
        return layers.values().stream().mapToInt(AdaLoraLayer::rank).sum();
    }

    /** peft's {@code update_ipt}: folds the current values and gradients of every A, E and B into the averages. */
    void updateImportance() {
        layers.forEach((path, layer) -> layer.trainableParameters().forEach((name, tensor) -> {
            String key = path + "." + name;
            float[] values = tensor.toFloatArray();
            float[] gradients;
            try (NDArray gradient = tensor.getGradient()) {
                gradients = gradient.toFloatArray();
            }
            float[] smoothed = importance.computeIfAbsent(key, k -> new float[values.length]);
            float[] spread = uncertainty.computeIfAbsent(key, k -> new float[values.length]);
            for (int i = 0; i < values.length; i++) {
                float sensitivity = Math.abs(values[i] * gradients[i]);
                smoothed[i] = beta1 * smoothed[i] + (1 - beta1) * sensitivity;
                spread[i] = beta2 * spread[i] + (1 - beta2) * Math.abs(sensitivity - smoothed[i]);
            }
        }));
    }

    /** peft's {@code reset_ipt}: forgets the averages (after the final allocation). */
    void resetImportance() {
        importance.clear();
        uncertainty.clear();
    }

    /** Each triplet's score, per layer: {@code s(E_i) + (mean_j s(A_ij) + mean_j s(B_ji))}. */
    Map<String, float[]> tripletScores() {
        Map<String, float[]> scores = new LinkedHashMap<>();
        layers.forEach((path, layer) -> {
            int r = layer.rank();
            int n = (int) layer.a().getShape().get(1);
            int m = (int) layer.b().getShape().get(0);
            float[] scoreA = score(path + "." + AdaLoraLayer.A, r * n);
            float[] scoreB = score(path + "." + AdaLoraLayer.B, m * r);
            float[] scoreE = score(path + "." + AdaLoraLayer.E, r);
            float[] triplets = new float[r];
            for (int i = 0; i < r; i++) {
                double rowSum = 0;
                for (int j = 0; j < n; j++) {
                    rowSum += scoreA[i * n + j];
                }
                double columnSum = 0;
                for (int j = 0; j < m; j++) {
                    columnSum += scoreB[j * r + i];
                }
                triplets[i] = scoreE[i] + ((float) (rowSum / n) + (float) (columnSum / m));
            }
            scores.put(path, triplets);
        });
        return scores;
    }

    /** {@code Ī · Ū} per entry of one tensor (zeros before any update, as peft's zero-initialised averages). */
    private float[] score(String key, int size) {
        float[] smoothed = importance.get(key);
        float[] spread = uncertainty.get(key);
        float[] score = new float[size];
        if (smoothed != null) {
            for (int i = 0; i < size; i++) {
                score[i] = smoothed[i] * spread[i];
            }
        }
        return score;
    }

    /**
     * peft's {@code mask_to_budget}: zeroes the E entries of the triplets scoring at or below the k-th smallest
     * score of all, {@code k = initialBudget - budget} (none when k < 1), and returns which each layer kept.
     */
    Map<String, boolean[]> maskToBudget(int budget) {
        Map<String, float[]> scores = tripletScores();
        int k = initialBudget() - budget;
        float threshold = Float.NEGATIVE_INFINITY;
        if (k >= 1) {
            float[] sorted = new float[scores.values().stream().mapToInt(s -> s.length).sum()];
            int at = 0;
            for (float[] s : scores.values()) {
                System.arraycopy(s, 0, sorted, at, s.length);
                at += s.length;
            }
            Arrays.sort(sorted);
            threshold = sorted[k - 1]; // torch.kthvalue: the k-th smallest, 1-based
        }
        Map<String, boolean[]> pattern = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> entry : scores.entrySet()) {
            float[] s = entry.getValue();
            boolean[] keep = new boolean[s.length];
            for (int i = 0; i < s.length; i++) {
                keep[i] = !(s[i] <= threshold);
            }
            layers.get(entry.getKey()).applyMask(keep);
            pattern.put(entry.getKey(), keep);
        }
        return pattern;
    }

    /** peft's {@code mask_using_rank_pattern}: zeroes the E entries the pattern drops (the final phase). */
    void maskWith(Map<String, boolean[]> pattern) {
        layers.forEach((path, layer) -> {
            boolean[] keep = pattern.get(path);
            if (keep == null) {
                throw new IllegalStateException("The AdaLoRA rank pattern has no entry for " + path + " (it has "
                        + pattern.keySet() + "); resume with the model and adapter the run started with");
            }
            layer.applyMask(keep);
        });
    }

    /** The averages, keyed {@code ema_ipt.<tensor key>} and {@code ema_unc.<tensor key>}. */
    Map<String, float[]> state() {
        Map<String, float[]> state = new LinkedHashMap<>();
        importance.forEach((key, values) -> state.put(IMPORTANCE + key, values.clone()));
        uncertainty.forEach((key, values) -> state.put(UNCERTAINTY + key, values.clone()));
        return state;
    }

    /** Puts back the averages of {@link #state()}; keys of other kinds are left to the caller. */
    void restore(Map<String, float[]> state) {
        resetImportance();
        state.forEach((key, values) -> {
            if (key.startsWith(IMPORTANCE)) {
                importance.put(key.substring(IMPORTANCE.length()), values.clone());
            } else if (key.startsWith(UNCERTAINTY)) {
                uncertainty.put(key.substring(UNCERTAINTY.length()), values.clone());
            }
        });
    }
}
