package dev.peft4j.spark;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.nd.Tensors;
import dev.peft4j.train.loop.GradientHook;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The all-reduce of synchronous data parallelism over Spark's barrier {@code allGather}: each worker sends its
 * gradients (every trainable tensor, in the trainer's fixed order, as little-endian floats in Base64, since
 * {@code allGather} carries strings), receives every worker's, and sets its own to their mean, summed in worker
 * order in float. Every worker computes the same sum in the same order, so all take the same step; and for a power
 * of two of workers the mean equals bit for bit what one process accumulating the same micro-batches computes
 * (dividing by 2^k is exact, so (g0 + g1) / 2 = g0 / 2 + g1 / 2 in floating point).
 */
final class AllGatherAverage implements GradientHook {

    private final Function<String, String[]> allGather;
    private final StepFault fault;
    private long bytesSentPerStep;

    /** Called before the exchange of each step (the fault-injection hook of the tests). */
    interface StepFault {
        void before(int step);
    }

    AllGatherAverage(Function<String, String[]> allGather, StepFault fault) {
        this.allGather = allGather;
        this.fault = fault;
    }

    /** The size of this worker's message in the last step, in bytes. */
    long bytesSentPerStep() {
        return bytesSentPerStep;
    }

    @Override
    public void beforeStep(Map<String, NDArray> trainable, int step) {
        fault.before(step);
        List<NDArray> tensors = new ArrayList<>(trainable.values());
        List<float[]> grads = new ArrayList<>(tensors.size());
        int total = 0;
        for (NDArray t : tensors) {
            try (NDArray g = t.getGradient()) {
                float[] values = g.toFloatArray();
                grads.add(values);
                total += values.length;
            }
        }
        ByteBuffer mine = ByteBuffer.allocate(total * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] values : grads) {
            for (float v : values) {
                mine.putFloat(v);
            }
        }
        String message = Base64.getEncoder().encodeToString(mine.array());
        bytesSentPerStep = message.length();
        String[] all = allGather.apply(message);
        float[] sum = decode(all[0], total);
        for (int w = 1; w < all.length; w++) {
            float[] other = decode(all[w], total);
            for (int i = 0; i < total; i++) {
                sum[i] += other[i];
            }
        }
        float workers = all.length;
        int offset = 0;
        for (int k = 0; k < tensors.size(); k++) {
            float[] mean = new float[grads.get(k).length];
            for (int i = 0; i < mean.length; i++) {
                mean[i] = sum[offset + i] / workers;
            }
            offset += mean.length;
            try (NDArray g = tensors.get(k).getGradient()) {
                Tensors.overwrite(g, mean);
            }
        }
    }

    private static float[] decode(String message, int total) {
        byte[] bytes = Base64.getDecoder().decode(message);
        if (bytes.length != total * Float.BYTES) {
            throw new IllegalStateException("A worker sent " + bytes.length / Float.BYTES + " gradient values, this "
                    + "one has " + total + ": the workers do not train the same tensors");
        }
        float[] values = new float[total];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        return values;
    }
}
