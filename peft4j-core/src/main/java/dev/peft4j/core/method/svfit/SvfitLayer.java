package dev.peft4j.core.method.svfit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.LowRankExportable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One SVFit adapter on one linear slot, in delta form: {@code y = W x + b + U_r ((s - S_r) ⊙ (V_r^T x))}, the
 * reference's {@code W_res x + U_r (s ⊙ V_r^T x)} with {@code W_res = W - U_r diag(S_r) V_r^T} but without keeping
 * that dense residual. {@code s - S_r} is exactly zero at init, so the wrapped model is the base bit for bit. Costs
 * O(r (m + n)) per token beside the GEMM, as LoLDU's path; the change is a rank-r LoRA.
 */
final class SvfitLayer implements AdapterLayer, LowRankExportable {

    static final String S = "svfit_s";
    static final String U = "svfit_U";
    static final String VT = "svfit_Vt";
    static final String S0 = "svfit_s0";

    private final NDManager manager;
    private final NDArray baseWeight; // W [m, n], the slot's own tensor (not owned here)
    private final NDArray left; // U_r [m, r]
    private final NDArray rightT; // V_r^T [r, n]
    private final NDArray initial; // S_r [r]
    private final NDArray s; // [r], trainable

    /** Factors of one slot, row-major. */
    record Factors(int m, int n, int r, float[] left, float[] singularValues, float[] rightTransposed) {
    }

    SvfitLayer(NDArray baseWeight, Factors factors) {
        this.manager = baseWeight.getManager().newSubManager();
        int r = factors.r();
        left = manager.create(factors.left(), new Shape(factors.m(), r));
        rightT = manager.create(factors.rightTransposed(), new Shape(r, factors.n()));
        initial = manager.create(factors.singularValues());
        this.baseWeight = baseWeight;
        s = initial.duplicate();
        s.setRequiresGradient(true);
    }

    @Override
    public NDArray forward(NDArray x, NDArray baseOut) {
        NDArray change = s.sub(initial); // [r]; s first, so the gradient flows to it
        change.attach(x.getManager()); // per batch, not kept with the layer
        NDArray projected = Linear.linear(x, rightT, null).singletonOrThrow().mul(change); // [..., r]
        return baseOut.add(Linear.linear(projected, left, null).singletonOrThrow()); // [..., m]
    }

    @Override
    public NDArray mergedWeight() {
        int r = (int) s.getShape().get(0);
        try (NDArray change = s.sub(initial);
                NDArray scaled = left.mul(change.reshape(1, r));
                NDArray delta = scaled.matMul(rightT)) {
            NDArray merged = baseWeight.add(delta);
            merged.attach(manager);
            return merged;
        }
    }

    @Override
    public LoraFactors loraFactors() {
        int r = (int) s.getShape().get(0);
        try (NDArray diag = s.sub(initial)) {
            return new LoraFactors(rightT.duplicate(), left.mul(diag.reshape(1, r)));
        }
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put(S, s);
        return params;
    }

    @Override
    public Map<String, NDArray> stateTensors(boolean portable) {
        Map<String, NDArray> state = trainableParameters();
        if (portable) {
            state.put(U, left);
            state.put(VT, rightT);
            state.put(S0, initial);
        }
        return state;
    }

    @Override
    public void close() {
        manager.close();
    }
}
