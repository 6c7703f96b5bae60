package dev.peft4j.core.method.loldu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import dev.peft4j.core.adapter.LowRankExportable;
import dev.peft4j.core.adapter.SharedFactorsLayer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One LoLDU adapter on one linear slot, in delta form: {@code y = W x + b + Lp((sigma z - sigma0 c) ⊙ (U'_r x))}.
 *
 * <p>The adapter path costs O(r (m + n)) per token and never builds an m x n delta; only z (and
 * sigma when enabled) require gradients, so autograd keeps no buffers for the frozen factors. The layer holds no
 * dense copy of the weight: the slot multiplies by its own base {@code W}, and the scale vector
 * {@code s = sigma z - sigma0 c} is exactly zero at init ({@code z = c}, {@code sigma = sigma0}: the same float
 * product subtracted from itself), so the wrapped model reproduces the base bit for bit on any CPU. {@code c} is z0
 * for the identity-at-init family and the pivots d_r otherwise; c is saved with the adapter.
 *
 * <p>The frozen factors {@code Lp}, {@code d_r}, {@code U'_r} are shared with every LoLDU adapter of the same slot and
 * rank ({@link LolduFactorCache}); a layer owns only c, z and sigma (O(r) floats). That sharing is what lets a batch
 * mixing tenants gather their scale vectors into one op ({@link SharedFactorsLayer}).
 */
final class LolduLayer implements SharedFactorsLayer, LowRankExportable {

    static final String Z = "loldu_z";
    static final String SIGMA = "loldu_sigma";
    static final String OFFSET = "loldu_c";
    static final String LOWER = "loldu_L";
    static final String UPPER = "loldu_U";
    static final String PIVOTS = "loldu_d";

    private final NDManager manager;
    private final NDArray baseWeight; // W [m, n], the slot's own tensor (not owned here)
    private final LolduFactors factors; // Lp, d_r, U'_r: shared, released on close
    private final NDArray lowerPermuted; // Lp [m, r], the shared tensor
    private final NDArray unitUpper; // U'_r [r, n], the shared tensor
    private final NDArray offset; // c [r]
    private final NDArray scaledOffset; // sigma0 c [r], computed as sigma * z is, so that s is exactly 0 at init
    private final NDArray z; // [r], trainable
    private final NDArray sigma; // [1], trainable when trainSigma
    private final boolean trainSigma;
    private final NDArray frozenScale; // s, computed once for a frozen (inference-only) layer; null when it trains

    /** Factors of one slot, as float arrays (row-major). */
    record Factors(int m, int n, int r, float[] lowerPermuted, float[] pivots, float[] unitUpper) {
    }

    /**
     * Builds the layer over {@code baseWeight} ([m, n]) on its (acquired) decomposition factors, with the diagonal
     * starting at {@code z0} and the offset {@code c}; the layer releases the factors on close. A {@code frozen}
     * layer (an adapter loaded for inference) trains nothing and computes its scale vector once: a batch mixing
     * 1,000 tenants would otherwise recompute 1,000 of them in every adapted slot, two engine calls each.
     */
    LolduLayer(NDArray baseWeight, LolduFactors factors, float[] c, float[] z0, float sigmaValue, float sigma0,
            boolean trainSigma, boolean frozen) {
        this.manager = baseWeight.getManager().newSubManager();
        this.baseWeight = baseWeight;
        this.trainSigma = trainSigma;
        this.factors = factors;
        lowerPermuted = factors.lowerPermuted();
        unitUpper = factors.unitUpper();
        offset = manager.create(c);
        try (NDArray sigmaInit = manager.create(new float[] {sigma0})) {
            scaledOffset = offset.mul(sigmaInit);
        }
        z = manager.create(z0);
        sigma = manager.create(new float[] {sigmaValue});
        if (frozen) {
            frozenScale = computeScale(manager);
        } else {
            frozenScale = null;
            z.setRequiresGradient(true);
            if (trainSigma) {
                sigma.setRequiresGradient(true);
            }
        }
    }

    /**
     * s = sigma z - sigma0 c [r], attached to {@code owner}: the only per-adapter quantity the forward, the merge and
     * the export need. The forward passes the batch's manager, so nothing per step stays with the layer.
     */
    @Override
    public NDArray scale(NDManager owner) {
        // a frozen layer's is its own, read-only: callers derive new arrays from it and never close it
        return frozenScale != null ? frozenScale : computeScale(owner);
    }

    private NDArray computeScale(NDManager owner) {
        NDArray scaledZ = z.mul(sigma);
        scaledZ.attach(owner);
        NDArray s = scaledZ.sub(scaledOffset);
        s.attach(owner);
        return s;
    }

    @Override
    public NDArray forward(NDArray x, NDArray baseOut) {
        // Operands are ordered activation-first so results live in the batch's manager.
        NDArray projected = Linear.linear(x, unitUpper, null).singletonOrThrow(); // [..., r]
        return addLifted(baseOut, scaleRows(projected, scale(x.getManager())));
    }

    /** {@code projected ⊙ scales}; in place when no gradient is recorded (projected is this forward's own). */
    private static NDArray scaleRows(NDArray projected, NDArray scales) {
        return JniUtils.isGradMode() ? projected.mul(scales) : projected.muli(scales);
    }

    /**
     * {@code baseOut + scaled Lp^T}. Outside autograd the sum goes into baseOut, the slot's own fresh result: at
     * serving sizes (thousands of tokens) a new [tokens, m] tensor per slot costs as much as the adapter's two
     * GEMMs (measured: a q projection of 16,000 tokens, 384 -> 384, took 110 ms, its r = 64 path 95 ms with a new
     * sum and 55 ms in place). Under autograd baseOut may be saved for the backward, so a new tensor is made.
     */
    private NDArray addLifted(NDArray baseOut, NDArray scaled) {
        NDArray lifted = Linear.linear(scaled, lowerPermuted, null).singletonOrThrow(); // [..., m]
        return JniUtils.isGradMode() ? baseOut.add(lifted) : baseOut.addi(lifted);
    }

    @Override
    public Object sharedFactors() {
        return factors;
    }

    @Override
    public NDArray forwardScaled(NDArray x, NDArray baseOut, NDArray rowScales) {
        // the ops of forward(), with one scale vector per row instead of one for the batch
        NDArray projected = Linear.linear(x, unitUpper, null).singletonOrThrow(); // [batch, ..., r]
        return addLifted(baseOut, scaleRows(projected, rowScales));
    }

    /** s as a row [1, r] in {@code scratch} (a frozen layer's own s would otherwise collect the reshaped views). */
    private NDArray scaleRow(NDManager scratch) {
        NDArray row = scale(scratch).reshape(1, rank());
        row.attach(scratch);
        return row;
    }

    @Override
    public NDArray mergedWeight() {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray scaledLower = lowerPermuted.mul(scaleRow(scratch));
            scaledLower.attach(scratch);
            NDArray delta = scaledLower.matMul(unitUpper);
            delta.attach(scratch);
            NDArray merged = baseWeight.add(delta);
            merged.attach(manager); // as every layer's merged weight: the slot closes it on unmerge
            return merged;
        }
    }

    @Override
    public LoraFactors loraFactors() {
        // W_eff - W = Lp diag(sigma z - sigma0 c) U'_r
        try (NDManager scratch = manager.newSubManager()) {
            NDArray b = lowerPermuted.mul(scaleRow(scratch));
            b.attach(manager);
            return new LoraFactors(unitUpper.duplicate(), b);
        }
    }

    @Override
    public int rank() {
        return (int) z.getShape().get(0);
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        if (frozenScale != null) {
            return Map.of(); // loaded for inference: z and sigma are fixed (the cached scale depends on them)
        }
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put(Z, z);
        if (trainSigma) {
            params.put(SIGMA, sigma);
        }
        return params;
    }

    @Override
    public Map<String, NDArray> stateTensors(boolean portable) {
        Map<String, NDArray> state = new LinkedHashMap<>();
        state.put(Z, z);
        state.put(SIGMA, sigma);
        state.put(OFFSET, offset);
        if (portable) {
            state.put(LOWER, lowerPermuted);
            state.put(UPPER, unitUpper);
            state.put(PIVOTS, factors.pivots());
        }
        return state;
    }

    @Override
    public void close() {
        manager.close();
        factors.release();
    }
}
