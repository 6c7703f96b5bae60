package dev.peft4j.core.method.pissa;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.LowRankExportable;
import dev.peft4j.core.nd.LowRankUpdate;
import dev.peft4j.core.nd.Scalars;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One PiSSA adapter on one linear slot, in delta form: {@code y = W x + b + scale·(B (A x) - B0 (A0 x))}, with the
 * frozen initial factors A0, B0 (the top-r SVD factors) and A, B starting as copies of them.
 *
 * <p>This is the reference's {@code W_res x + scale·B A x} with {@code W_res = W - scale·B0 A0}, but it keeps no
 * dense residual (the slot's own W serves), and at init the two products are the same kernels on the same bits, so
 * their difference is exactly zero and the wrapped model is the base bit for bit.
 *
 * <p>Against the ORIGINAL base the change is {@code scale·(B A - B0 A0)}, of rank at most 2r, so it
 * exports as a plain LoRA of rank 2r: {@code B' = scale·[B, -B0]}, {@code A' = [A; A0]}.
 */
final class PissaLayer implements AdapterLayer, LowRankExportable {

    static final String A = "pissa_A";
    static final String B = "pissa_B";
    static final String A0 = "pissa_A0";
    static final String B0 = "pissa_B0";

    private final NDManager manager;
    private final NDArray baseWeight; // W [m, n], the slot's own tensor (not owned here)
    private final NDArray initialA; // A0 [r, n]
    private final NDArray initialB; // B0 [m, r]
    private final NDArray a; // [r, n], trainable
    private final NDArray b; // [m, r], trainable
    private final float scale;

    /** Initial factors of one slot, row-major. */
    record Factors(int r, float[] a0, float[] b0) {
    }

    PissaLayer(NDArray baseWeight, Factors factors, float scale) {
        this.manager = baseWeight.getManager().newSubManager();
        this.scale = scale;
        long m = baseWeight.getShape().get(0);
        long n = baseWeight.getShape().get(1);
        int r = factors.r();
        initialA = manager.create(factors.a0(), new Shape(r, n));
        initialB = manager.create(factors.b0(), new Shape(m, r));
        this.baseWeight = baseWeight;
        a = initialA.duplicate();
        b = initialB.duplicate();
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
    }

    @Override
    public NDArray forward(NDArray x, NDArray baseOut) {
        NDArray trained = LowRankUpdate.path(x, a, b); // [..., m]
        NDArray initial = LowRankUpdate.path(x, initialA, initialB);
        NDArray change = trained.sub(initial);
        return baseOut.add(scale == 1f ? change : Scalars.mul(change, scale));
    }

    @Override
    public NDArray mergedWeight() {
        try (NDArray trained = LowRankUpdate.dense(a, b, scale);
                NDArray initial = LowRankUpdate.dense(initialA, initialB, scale);
                NDArray delta = trained.sub(initial)) {
            NDArray merged = baseWeight.add(delta);
            merged.attach(manager);
            return merged;
        }
    }

    @Override
    public LoraFactors loraFactors() {
        try (NDArray negB0 = initialB.neg(); NDArray both = b.concat(negB0, 1)) { // [m, 2r]
            return new LoraFactors(a.concat(initialA, 0), both.mul(scale)); // A' [2r, n]
        }
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put(A, a);
        params.put(B, b);
        return params;
    }

    @Override
    public Map<String, NDArray> stateTensors(boolean portable) {
        Map<String, NDArray> state = trainableParameters();
        if (portable) {
            state.put(A0, initialA);
            state.put(B0, initialB);
        }
        return state;
    }

    @Override
    public void close() {
        manager.close();
    }
}
