package dev.peft4j.core.method.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.peft4j.core.adapter.AdapterLayer;
import dev.peft4j.core.adapter.LowRankExportable;
import dev.peft4j.core.nd.DropoutMask;
import dev.peft4j.core.nd.LowRankUpdate;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One LoRA adapter on one linear slot: {@code y = W x + scale·B (A dropout(x)) + b}.
 *
 * <p>The base weight is used as is (no residual), so this layer never owns or changes it. Dropout
 * applies only while PyTorch records gradients (inside a GradientCollector), i.e. in training steps.
 */
final class LoraLayer implements AdapterLayer, LowRankExportable {

    static final String A = "lora_A.weight";
    static final String B = "lora_B.weight";

    private final NDManager manager;
    private final NDArray baseWeight; // W [m, n], owned by the model
    private final NDArray a; // [r, n], trainable
    private final NDArray b; // [m, r], trainable
    private final float scale;
    private final float dropout;

    LoraLayer(NDArray baseWeight, float[] a0, float[] b0, int rank, float scale, float dropout) {
        this.manager = baseWeight.getManager().newSubManager();
        this.baseWeight = baseWeight;
        this.scale = scale;
        this.dropout = dropout;
        long m = baseWeight.getShape().get(0);
        long n = baseWeight.getShape().get(1);
        a = manager.create(a0, new Shape(rank, n));
        b = manager.create(b0, new Shape(m, rank));
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
    }

    @Override
    public NDArray forward(NDArray x, NDArray baseOut) {
        NDArray input = dropout > 0 && JniUtils.isGradMode()
                ? DropoutMask.apply(x, dropout) : x;
        return LowRankUpdate.addTo(baseOut, input, a, b, scale);
    }

    @Override
    public NDArray mergedWeight() {
        try (NDArray delta = LowRankUpdate.dense(a, b, scale)) {
            return baseWeight.add(delta);
        }
    }

    @Override
    public LoraFactors loraFactors() {
        return new LoraFactors(a.duplicate(), b.mul(scale));
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
