package dev.peft4j.core.method.fourierft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.LowRankExportable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One FourierFT adapter on one linear slot: {@code y = (W + ΔW) x + b} with
 * {@code ΔW = scaling·Re(IDFT2(S))} built densely on every forward, as peft does.
 *
 * <p>DJL has no FFT, so the inverse DFT is two real matmuls. With {@code F_m[p, k] = e^{-2πi pk/m}},
 * {@code IDFT2(S) = F_m^H S F_n^H / (m n)}; S is real and non-zero only at positions {@code (k_j, l_j)},
 * so {@code Re(...) = (C_m[:, k] diag(s) C_n[l, :] - S_m[:, k] diag(s) S_n[l, :]) / (m n)} with the
 * cosine and sine matrices C, S gathered at the chosen rows and columns. Stacked:
 * {@code ΔW = rowBasis diag([s, s]) colBasis}, {@code rowBasis = scaling/(m n)·[C_m[:, k], -S_m[:, k]]}
 * ({@code [m, 2f]}) and {@code colBasis = [C_n[l, :]; S_n[l, :]]} ({@code [2f, n]}). That product of
 * rank at most 2f is also the exact LoRA export.
 */
final class FourierFtLayer implements AdapterLayer, LowRankExportable {

    static final String SPECTRUM = "fourierft_spectrum";

    private final NDManager manager;
    private final NDArray baseWeight; // W [m, n], owned by the model
    private final NDArray rowBasis; // [m, 2f]
    private final NDArray colBasis; // [2f, n]
    private final NDArray spectrum; // [f], trainable

    FourierFtLayer(NDArray baseWeight, int[] rows, int[] cols, float scaling, float[] spectrum0) {
        this.manager = baseWeight.getManager().newSubManager();
        this.baseWeight = baseWeight;
        int m = (int) baseWeight.getShape().get(0);
        int n = (int) baseWeight.getShape().get(1);
        int f = rows.length;
        double norm = scaling / ((double) m * n);
        float[] left = new float[m * 2 * f];
        for (int p = 0; p < m; p++) {
            for (int j = 0; j < f; j++) {
                double angle = 2 * Math.PI * ((long) p * rows[j] % m) / m; // reduced mod m: exact for large p k
                left[p * 2 * f + j] = (float) (norm * Math.cos(angle));
                left[p * 2 * f + f + j] = (float) (-norm * Math.sin(angle));
            }
        }
        float[] right = new float[2 * f * n];
        for (int j = 0; j < f; j++) {
            for (int q = 0; q < n; q++) {
                double angle = 2 * Math.PI * ((long) q * cols[j] % n) / n;
                right[j * n + q] = (float) Math.cos(angle);
                right[(f + j) * n + q] = (float) Math.sin(angle);
            }
        }
        rowBasis = manager.create(left, new Shape(m, 2L * f));
        colBasis = manager.create(right, new Shape(2L * f, n));
        spectrum = manager.create(spectrum0);
        spectrum.setRequiresGradient(true);
    }

    /** ΔW [m, n] for the current spectrum, differentiable in it; it and its temporaries belong to {@code owner}. */
    private NDArray delta(NDManager owner) {
        NDArray doubled = owned(owner, owned(owner, spectrum.concat(spectrum)).reshape(1, -1)); // [1, 2f]
        NDArray scaledRows = owned(owner, rowBasis.mul(doubled)); // [m, 2f]
        return owned(owner, scaledRows.matMul(colBasis));
    }

    private static NDArray owned(NDManager owner, NDArray tensor) {
        tensor.attach(owner);
        return tensor;
    }

    @Override
    public NDArray forward(NDArray x, NDArray baseOut) {
        NDArray delta = delta(x.getManager()); // freed with the batch, not kept with the layer
        return baseOut.add(Linear.linear(x, delta, null).singletonOrThrow());
    }

    @Override
    public NDArray mergedWeight() {
        try (NDManager scratch = manager.newSubManager()) {
            return baseWeight.add(delta(scratch));
        }
    }

    @Override
    public LoraFactors loraFactors() {
        try (NDArray doubled = spectrum.concat(spectrum); NDArray row = doubled.reshape(1, -1)) {
            return new LoraFactors(colBasis.duplicate(), rowBasis.mul(row));
        }
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put(SPECTRUM, spectrum);
        return params;
    }

    @Override
    public Map<String, NDArray> stateTensors(boolean portable) {
        return trainableParameters(); // positions come from the seed, as in peft
    }

    @Override
    public void close() {
        manager.close();
    }
}
