package dev.peft4j.core.method.melora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.LowRankExportable;
import dev.peft4j.core.nd.DropoutMask;
import dev.peft4j.core.nd.Scalars;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One MELoRA adapter on one linear slot: {@code y = W x + scale·blockdiag(B_1 A_1, ..., B_c A_c) dropout(x) + b},
 * with the c mini LoRAs stacked in two tensors, A {@code [c, r, n/c]} and B {@code [c, m/c, r]}.
 *
 * <p>The forward never builds the dense {@code [m, n]} update and never loops over the blocks: x is viewed as
 * {@code [tokens, c, n/c]} and turned block-major, and two batched matmuls (one per factor, batched over the c
 * blocks) give {@code [c, tokens, m/c]}, turned back into {@code [..., m]}: {@code r (m + n)} multiply-adds per token,
 * as one rank-r LoRA, for an update of rank up to {@code c·r}.
 *
 * <p>The update is a LoRA of rank {@code c·r} whose factors are the blocks laid on the diagonal:
 * {@code A' = blockdiag(A_1, ..., A_c)} ({@code [c r, n]}) and {@code B' = scale·blockdiag(B_1, ..., B_c)}
 * ({@code [m, c r]}), so it exports exactly.
 */
final class MeloraLayer implements AdapterLayer, LowRankExportable {

    static final String A = "melora_A";
    static final String B = "melora_B";

    private final NDManager manager;
    private final NDArray baseWeight; // W [m, n], owned by the model
    private final NDArray a; // [c, r, n/c], trainable
    private final NDArray b; // [c, m/c, r], trainable, zero at init
    private final int count;
    private final float scale;
    private final float dropout;

    /** {@code a0} holds the c blocks A_i one after the other, row-major; the method checked that c divides m and n. */
    MeloraLayer(NDArray baseWeight, float[] a0, MeloraConfig config) {
        this.manager = baseWeight.getManager().newSubManager();
        this.baseWeight = baseWeight;
        this.count = config.melCount();
        this.scale = config.scale();
        this.dropout = config.dropout();
        long m = baseWeight.getShape().get(0);
        long n = baseWeight.getShape().get(1);
        int r = config.rank();
        a = manager.create(a0, new Shape(count, r, n / count));
        b = manager.zeros(new Shape(count, m / count, r));
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
    }

    @Override
    public NDArray forward(NDArray x, NDArray baseOut) {
        NDArray input = dropout > 0 && JniUtils.isGradMode() ? DropoutMask.apply(x, dropout) : x;
        NDManager batch = input.getManager(); // the factors' views die with the batch, not with the layer
        long n = baseWeight.getShape().get(1);
        long tokens = input.getShape().size() / n;
        NDArray blocks = input.reshape(tokens, count, n / count).transpose(1, 0, 2); // [c, tokens, n/c]
        NDArray down = blocks.matMul(owned(batch, a.transpose(0, 2, 1))); // [c, tokens, r]
        NDArray up = down.matMul(owned(batch, b.transpose(0, 2, 1))); // [c, tokens, m/c]
        NDArray change = up.transpose(1, 0, 2).reshape(baseOut.getShape()); // [..., m], block i in features i·m/c..
        return baseOut.add(scale == 1f ? change : Scalars.mul(change, scale));
    }

    private static NDArray owned(NDManager owner, NDArray tensor) {
        tensor.attach(owner);
        return tensor;
    }

    /**
     * The c blocks of {@code blocks} ({@code [c, p, q]}) on the diagonal of a {@code [c p, c q]} matrix, zero
     * elsewhere: each block times one entry of the identity, so the values are copied exactly.
     */
    static NDArray blockDiagonal(NDManager owner, NDArray blocks) {
        long c = blocks.getShape().get(0);
        long p = blocks.getShape().get(1);
        long q = blocks.getShape().get(2);
        NDArray eye = owned(owner, owner.eye((int) c).reshape(c, 1, c, 1));
        NDArray spread = owned(owner, owned(owner, blocks.reshape(c, p, 1, q)).mul(eye)); // [c, p, c, q]
        return owned(owner, spread.reshape(c * p, c * q));
    }

    @Override
    public NDArray mergedWeight() {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray products = owned(scratch, b.matMul(a)); // [c, m/c, n/c]: B_i A_i
            NDArray delta = blockDiagonal(scratch, owned(scratch, products.mul(scale))); // [m, n]
            return baseWeight.add(delta);
        }
    }

    @Override
    public LoraFactors loraFactors() {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray fullA = blockDiagonal(scratch, a); // [c r, n]
            NDArray fullB = owned(scratch, blockDiagonal(scratch, b).mul(scale)); // [m, c r]
            fullA.attach(manager);
            fullB.attach(manager);
            return new LoraFactors(fullA, fullB);
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
        return trainableParameters();
    }

    @Override
    public void close() {
        manager.close();
    }
}
