package dev.peft4j.core.method.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.LowRankExportable;
import dev.peft4j.core.nd.DropoutMask;
import dev.peft4j.core.nd.LowRankUpdate;
import dev.peft4j.core.nd.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One AdaLoRA adapter on one linear slot, peft's {@code SVDLinear}:
 * {@code y = W x + b + scale·B ((A ⊙ E) dropout(x))} with A [r, n] (right singular vectors), E [r, 1] (singular
 * values) and B [m, r] (left singular vectors), {@code scale = scaling / (ranknum + 1e-5)}, ranknum = init_r.
 * E starts at zero, so the output equals the base at init.
 *
 * <p>The rank allocator masks triplets by zeroing their E entries and records which it kept ({@link #keptTriplets});
 * the layer saves only those, as peft's {@code resize_state_dict_by_rank_pattern}. Loading such a file puts the kept
 * triplets back in their places and zeros in the dropped ones, so the layer keeps its init_r triplets (and ranknum
 * = init_r, as peft's {@code resize_modules_by_rank_pattern} does) and computes, kernel for kernel, what it computed
 * when saved: a dropped triplet's {@code A ⊙ E} row was zero either way. (peft shrinks the loaded modules to the
 * kept count instead; the files are the same.)
 */
final class AdaLoraLayer implements AdapterLayer, LowRankExportable {

    static final String A = "lora_A";
    static final String B = "lora_B";
    static final String E = "lora_E";

    private final NDManager manager;
    private final NDArray baseWeight; // W [m, n], owned by the model
    private final NDArray a; // [r, n], trainable
    private final NDArray e; // [r, 1], trainable
    private final NDArray b; // [m, r], trainable
    private final float scale;
    private final float dropout;
    private boolean[] kept; // over the init_r triplets: the latest rank pattern, or null before any
    private NDManager savedCopies; // the pruned tensors of the latest stateTensors call

    /** A layer's initial values, row-major: A [r, n], E [r, 1], B [m, r]. */
    record Factors(int r, float[] a, float[] e, float[] b) {
    }

    /** @param kept the config's rank pattern for this layer (saves keep only these triplets), or null for none */
    AdaLoraLayer(NDArray baseWeight, Factors init, AdaLoraConfig config, boolean[] kept) {
        this.manager = baseWeight.getManager().newSubManager();
        this.baseWeight = baseWeight;
        this.scale = config.scale();
        this.dropout = config.dropout();
        this.kept = kept == null ? null : kept.clone();
        if (kept != null && kept.length != init.r()) {
            throw new IllegalArgumentException("An AdaLoRA rank pattern lists one flag per triplet, " + init.r()
                    + " here, found " + kept.length);
        }
        long m = baseWeight.getShape().get(0);
        long n = baseWeight.getShape().get(1);
        a = manager.create(init.a(), new Shape(init.r(), n));
        e = manager.create(init.e(), new Shape(init.r(), 1));
        b = manager.create(init.b(), new Shape(m, init.r()));
        a.setRequiresGradient(true);
        e.setRequiresGradient(true);
        b.setRequiresGradient(true);
    }

    @Override
    public NDArray forward(NDArray x, NDArray baseOut) {
        NDArray input = dropout > 0 && JniUtils.isGradMode() ? DropoutMask.apply(x, dropout) : x;
        NDArray weighted = a.mul(e); // A ⊙ E [r, n], differentiable in both
        weighted.attach(x.getManager()); // freed with the batch, not kept with the layer
        return LowRankUpdate.addTo(baseOut, input, weighted, b, scale);
    }

    @Override
    public NDArray mergedWeight() {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray weighted = a.mul(e);
            weighted.attach(scratch);
            NDArray delta = LowRankUpdate.dense(weighted, b, scale);
            delta.attach(scratch);
            NDArray merged = baseWeight.add(delta);
            merged.attach(manager); // as every layer's merged weight: the slot closes it on unmerge
            return merged;
        }
    }

    /** {@code B diag(E) A · scale} as a LoRA of rank r: A' = A ⊙ E [r, n], B' = scale·B [m, r]. */
    @Override
    public LoraFactors loraFactors() {
        return new LoraFactors(a.mul(e), b.mul(scale));
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put(A, a);
        params.put(B, b);
        params.put(E, e);
        return params;
    }

    /** The trainable tensors; after an allocation only the kept triplets' rows (A, E) and columns (B). */
    @Override
    public Map<String, NDArray> stateTensors(boolean portable) {
        if (kept == null) {
            return trainableParameters();
        }
        if (savedCopies != null) {
            savedCopies.close();
        }
        savedCopies = manager.newSubManager();
        int k = count(kept);
        int n = (int) a.getShape().get(1);
        int m = (int) b.getShape().get(0);
        int[] keptIndex = keptIndices();
        Map<String, NDArray> state = new LinkedHashMap<>();
        state.put(A, savedCopies.create(gatherRows(a.toFloatArray(), n, keptIndex), new Shape(k, n)));
        state.put(B, savedCopies.create(gatherColumns(b.toFloatArray(), rank(), keptIndex), new Shape(m, k)));
        state.put(E, savedCopies.create(gatherRows(e.toFloatArray(), 1, keptIndex), new Shape(k, 1)));
        return state;
    }

    /**
     * Copies saved tensors in: of all init_r triplets, or of the kept ones only (a file saved after an allocation),
     * which go back to their places, with zeros in the dropped triplets' rows of A and E and columns of B.
     */
    @Override
    public void loadState(Map<String, NDArray> state) {
        int k = (int) state.get(E).getShape().get(0);
        if (k == rank()) {
            AdapterLayer.super.loadState(state);
            return;
        }
        if (kept == null || count(kept) != k) {
            throw new IllegalArgumentException("Saved AdaLoRA tensors hold " + k + " triplets, but this layer's rank "
                    + "pattern keeps " + (kept == null ? "all " + rank() : count(kept)) + "; load the adapter with the "
                    + "rank_pattern it was saved with");
        }
        int n = (int) a.getShape().get(1);
        int m = (int) b.getShape().get(0);
        int[] keptIndex = keptIndices();
        Tensors.overwrite(a, scatterRows(state.get(A).toFloatArray(), n, keptIndex, rank()));
        Tensors.overwrite(e, scatterRows(state.get(E).toFloatArray(), 1, keptIndex, rank()));
        // B [m, k] into [m, r]: element (j, t) of the saved tensor goes to (j, kept[t])
        float[] savedB = state.get(B).toFloatArray();
        float[] fullB = new float[m * rank()];
        for (int j = 0; j < m; j++) {
            for (int t = 0; t < k; t++) {
                fullB[j * rank() + keptIndex[t]] = savedB[j * k + t];
            }
        }
        Tensors.overwrite(b, fullB);
    }

    /** The inverse of {@link #gatherRows}: saved row t (of {@code width} values) goes to row {@code rows[t]}. */
    private static float[] scatterRows(float[] saved, int width, int[] rows, int allRows) {
        float[] full = new float[allRows * width];
        for (int t = 0; t < rows.length; t++) {
            System.arraycopy(saved, t * width, full, rows[t] * width, width);
        }
        return full;
    }

    private static float[] gatherRows(float[] values, int width, int[] rows) {
        float[] out = new float[rows.length * width];
        for (int t = 0; t < rows.length; t++) {
            System.arraycopy(values, rows[t] * width, out, t * width, width);
        }
        return out;
    }

    /** The given columns of a row-major [rows, columns] matrix. */
    private static float[] gatherColumns(float[] values, int columns, int[] picked) {
        int rows = values.length / columns;
        float[] out = new float[rows * picked.length];
        for (int j = 0; j < rows; j++) {
            for (int t = 0; t < picked.length; t++) {
                out[j * picked.length + t] = values[j * columns + picked[t]];
            }
        }
        return out;
    }

    private int[] keptIndices() {
        int[] indices = new int[count(kept)];
        int t = 0;
        for (int i = 0; i < kept.length; i++) {
            if (kept[i]) {
                indices[t++] = i;
            }
        }
        return indices;
    }

    /** The triplets this layer holds: init_r. */
    int rank() {
        return (int) e.getShape().get(0);
    }

    NDArray a() {
        return a;
    }

    NDArray b() {
        return b;
    }

    NDArray e() {
        return e;
    }

    /** The latest rank pattern over the init_r triplets (a copy), or null before any allocation. */
    boolean[] keptTriplets() {
        return kept == null ? null : kept.clone();
    }

    /** Zeroes E where {@code keep} is false (peft's {@code masked_fill_}) and records {@code keep} as the pattern. */
    void applyMask(boolean[] keep) {
        requireFullRank(keep);
        float[] values = e.toFloatArray();
        for (int i = 0; i < values.length; i++) {
            if (!keep[i]) {
                values[i] = 0f;
            }
        }
        Tensors.overwrite(e, values);
        kept = keep.clone();
    }

    /** Records {@code keep} (null: none) as the pattern without touching E, for a restored checkpoint. */
    void recordPattern(boolean[] keep) {
        if (keep != null) {
            requireFullRank(keep);
        }
        kept = keep == null ? null : keep.clone();
    }

    private void requireFullRank(boolean[] keep) {
        if (keep.length != rank()) {
            throw new IllegalArgumentException("An AdaLoRA rank pattern lists one flag per triplet, " + rank()
                    + " here, found " + keep.length);
        }
    }

    static int count(boolean[] flags) {
        int k = 0;
        for (boolean flag : flags) {
            k += flag ? 1 : 0;
        }
        return k;
    }

    @Override
    public void close() {
        manager.close();
    }
}
