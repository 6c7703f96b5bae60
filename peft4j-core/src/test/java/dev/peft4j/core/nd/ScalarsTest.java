package dev.peft4j.core.nd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The gradient through a constant factor survives a garbage collection between forward and backward. With DJL's
 * {@code x.div(4f)} in place of {@link Scalars#div} this test reads NaN gradients (the constant's buffer is freed and
 * overwritten by the churn below).
 */
class ScalarsTest {

    @Test
    void gradientsThroughConstantsSurviveAGarbageCollectionMidStep() throws InterruptedException {
        assertGradient(x -> Scalars.div(x, 4f), 0.25f);
        assertGradient(x -> Scalars.mul(x, 2.5f), 2.5f);
    }

    private static void assertGradient(UnaryOperator<NDArray> op, float expected) throws InterruptedException {
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int trial = 0; trial < 5; trial++) {
                NDArray x = manager.create(new float[] {1, 2, 3});
                x.setRequiresGradient(true);
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    NDArray y = op.apply(x);
                    freeAndOverwriteDeadDirectBuffers();
                    collector.backward(y.sum());
                }
                assertArrayEquals(new float[] {expected, expected, expected}, x.getGradient().toFloatArray(), 0f);
            }
        }
    }

    private static void freeAndOverwriteDeadDirectBuffers() throws InterruptedException {
        System.gc();
        Thread.sleep(50); // the cleaner thread frees unreachable direct buffers
        List<ByteBuffer> churn = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
            b.putFloat(0, Float.NaN);
            churn.add(b);
        }
    }
}
