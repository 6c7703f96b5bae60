package dev.peft4j.core.method.vera;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.SharedAdapterState;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One VeRA adapter on one linear slot: {@code y = W x + b ⊙ (B_s (d ⊙ (A_s x))) + bias}, with
 * {@code A_s = A[:, :n]} and {@code B_s = B[:m, :]} slices of the shared projections.
 *
 * <p>Not low-rank exportable in the LoRA sense without materialising {@code diag(b) B_s} per layer;
 * merge instead.
 */
final class VeraLayer implements AdapterLayer, SharedAdapterState {

    static final String LAMBDA_B = "vera_lambda_b";
    static final String LAMBDA_D = "vera_lambda_d";
    static final String SHARED_A = "vera_A";
    static final String SHARED_B = "vera_B";

    private final NDManager manager;
    private final NDArray baseWeight; // W [m, n], owned by the model
    private final VeraProjection projection;
    private final boolean saveProjection;
    private final NDArray lambdaB; // [m], trainable
    private final NDArray lambdaD; // [r], trainable
    private NDManager sliceManager;
    private NDArray slicedA; // [r, n]
    private NDArray slicedB; // [m, r]
    private int sliceVersion = -1;

    VeraLayer(NDArray baseWeight, VeraProjection projection, boolean saveProjection, float[] b0, float[] d0) {
        this.manager = baseWeight.getManager().newSubManager();
        this.baseWeight = baseWeight;
        this.projection = projection;
        this.saveProjection = saveProjection;
        lambdaB = manager.create(b0);
        lambdaD = manager.create(d0);
        lambdaB.setRequiresGradient(true);
        lambdaD.setRequiresGradient(true);
    }

    /** This layer's slices of the shared projections, cut once (again only after a load). */
    private synchronized void refreshSlices() {
        int version = projection.version();
        if (version == sliceVersion) {
            return;
        }
        if (sliceManager != null) {
            sliceManager.close();
        }
        sliceManager = manager.newSubManager();
        long m = baseWeight.getShape().get(0);
        long n = baseWeight.getShape().get(1);
        try (NDArray viewA = projection.a().get(":, :" + n); NDArray viewB = projection.b().get(":" + m + ", :")) {
            slicedA = viewA.duplicate();
            slicedB = viewB.duplicate();
        }
        slicedA.attach(sliceManager);
        slicedB.attach(sliceManager);
        sliceVersion = version;
    }

    @Override
    public NDArray forward(NDArray x, NDArray baseOut) {
        refreshSlices();
        NDArray down = Linear.linear(x, slicedA, null).singletonOrThrow().mul(lambdaD); // [..., r]
        NDArray up = Linear.linear(down, slicedB, null).singletonOrThrow(); // [..., m]
        return baseOut.add(up.mul(lambdaB));
    }

    @Override
    public NDArray mergedWeight() {
        refreshSlices();
        long r = lambdaD.getShape().get(0);
        try (NDArray scaledB = slicedB.mul(lambdaB.reshape(-1, 1)); // diag(b) B_s [m, r]
                NDArray scaledA = slicedA.mul(lambdaD.reshape(r, 1)); // diag(d) A_s [r, n]
                NDArray delta = scaledB.matMul(scaledA)) {
            return baseWeight.add(delta);
        }
    }

    @Override
    public Map<String, NDArray> trainableParameters() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put(LAMBDA_B, lambdaB);
        params.put(LAMBDA_D, lambdaD);
        return params;
    }

    @Override
    public Map<String, NDArray> stateTensors(boolean portable) {
        return trainableParameters();
    }

    @Override
    public Map<String, NDArray> sharedTensors() {
        Map<String, NDArray> shared = new LinkedHashMap<>();
        if (saveProjection) {
            shared.put(SHARED_A, projection.a());
            shared.put(SHARED_B, projection.b());
        }
        return shared;
    }

    @Override
    public void loadSharedTensors(Map<String, NDArray> saved) {
        projection.load(saved.get(SHARED_A).toFloatArray(), saved.get(SHARED_B).toFloatArray());
    }

    @Override
    public void close() {
        manager.close();
        projection.release();
    }
}
