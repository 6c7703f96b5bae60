package dev.peft4j.core.method.loldu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.LowRankExportable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One LoLDU adapter on one linear slot: {@code y = W_res x + Lp((sigma z) ⊙ (U'_r x)) + b}.
 *
 * <p>The adapter path costs O(r (m + n)) per token and never builds an m x n delta; only z (and
 * sigma when enabled) require gradients, so autograd keeps no buffers for the frozen factors.
 * {@code W_res = W - sigma0 Lp diag(c) U'_r}, where {@code c} is z0 for the identity-at-init family
 * and the pivots d_r otherwise; c is saved with the adapter.
 */
final class LolduLayer implements AdapterLayer, LowRankExportable {

    static final String Z = "loldu_z";
    static final String SIGMA = "loldu_sigma";
    static final String OFFSET = "loldu_c";
    static final String LOWER = "loldu_L";
    static final String UPPER = "loldu_U";
    static final String PIVOTS = "loldu_d";

    private final NDManager manager;
    private final NDArray residual; // W_res [m, n]
    private final NDArray lowerPermuted; // Lp [m, r]
    private final NDArray unitUpper; // U'_r [r, n]
    private final NDArray pivots; // d_r [r]
    private final NDArray offset; // c [r]
    private final NDArray z; // [r], trainable
    private final NDArray sigma; // [1], trainable when trainSigma
    private final float sigma0;
    private final boolean trainSigma;

    /** Factors of one slot, as float arrays (row-major). */
    record Factors(int m, int n, int r, float[] lowerPermuted, float[] pivots, float[] unitUpper) {
    }

    /**
     * Builds the layer from the decomposition factors of {@code baseWeight} ([m, n]), with the
     * diagonal starting at {@code z0} and the residual absorbing {@code c}.
     */
    LolduLayer(NDArray baseWeight, Factors factors, float[] c, float[] z0, float sigmaValue, float sigma0,
            boolean trainSigma) {
        this.manager = baseWeight.getManager().newSubManager();
        this.sigma0 = sigma0;
        this.trainSigma = trainSigma;
        int m = factors.m();
        int n = factors.n();
        int r = factors.r();
        lowerPermuted = manager.create(factors.lowerPermuted(), new Shape(m, r));
        unitUpper = manager.create(factors.unitUpper(), new Shape(r, n));
        pivots = manager.create(factors.pivots());
        offset = manager.create(c);
        residual = residual(baseWeight, c, sigma0);
        z = manager.create(z0);
        z.setRequiresGradient(true);
        sigma = manager.create(new float[] {sigmaValue});
        if (trainSigma) {
            sigma.setRequiresGradient(true);
        }
    }

    /**
     * W_res = W - sigma0 (Lp diag(c)) U'_r: one GEMM, done once, in float64 and rounded once, so that
     * the adapted model reproduces the base at init to float32 rounding of the forward alone.
     */
    private NDArray residual(NDArray baseWeight, float[] c, float sigma0) {
        int r = c.length;
        try (NDManager scratch = manager.newSubManager()) {
            NDArray lower = lowerPermuted.toType(DataType.FLOAT64, true);
            lower.attach(scratch);
            NDArray scale = scratch.create(c).toType(DataType.FLOAT64, false).mul(sigma0).reshape(1, r);
            NDArray upper = unitUpper.toType(DataType.FLOAT64, true);
            upper.attach(scratch);
            NDArray weight = baseWeight.toType(DataType.FLOAT64, true);
            weight.attach(scratch);
            NDArray absorbed = lower.mul(scale).matMul(upper);
            absorbed.attach(scratch);
            NDArray res = weight.sub(absorbed);
            res.attach(scratch);
            NDArray rounded = res.toType(DataType.FLOAT32, true);
            rounded.attach(manager);
            return rounded;
        }
    }

    @Override
    public NDArray residualWeight() {
        return residual;
    }

    @Override
    public NDArray forward(NDArray x, NDArray baseOut) {
        // Operands are ordered activation-first so results live in the batch's manager.
        NDArray projected = Linear.linear(x, unitUpper, null).singletonOrThrow(); // [..., r]
        NDArray scaled = projected.mul(z);
        if (trainSigma || sigma0 != 1f) {
            scaled = scaled.mul(sigma);
        }
        NDArray lifted = Linear.linear(scaled, lowerPermuted, null).singletonOrThrow(); // [..., m]
        return baseOut.add(lifted);
    }

    @Override
    public NDArray mergedWeight() {
        int r = rank();
        try (NDArray scale = z.mul(sigma).reshape(1, r);
                NDArray scaledLower = lowerPermuted.mul(scale);
                NDArray delta = scaledLower.matMul(unitUpper)) {
            return residual.add(delta);
        }
    }

    @Override
    public LoraFactors loraFactors() {
        int r = rank();
        // W_eff - W = Lp diag(sigma z - sigma0 c) U'_r
        try (NDArray sz = z.mul(sigma); NDArray sc = offset.mul(sigma0); NDArray diag = sz.sub(sc)) {
            NDArray b = lowerPermuted.mul(diag.reshape(1, r));
            return new LoraFactors(unitUpper.duplicate(), b);
        }
    }

    int rank() {
        return (int) z.getShape().get(0);
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
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
            state.put(PIVOTS, pivots);
        }
        return state;
    }

    @Override
    public void loadState(Map<String, NDArray> state) {
        z.set(state.get(Z).toFloatArray());
        sigma.set(state.get(SIGMA).toFloatArray());
    }

    /** The offset c the residual absorbed; a loader checks it against the saved one. */
    NDArray offset() {
        return offset;
    }

    @Override
    public void close() {
        manager.close();
    }
}
