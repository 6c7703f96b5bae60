package dev.peft4j.core.precision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import dev.peft4j.core.nd.TorchScriptFunction;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Bf16KernelsTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
        System.clearProperty(Bf16Kernels.KERNEL_PROPERTY);
    }

    private NDArray random(Random rng, long... shape) {
        float[] values = new float[(int) new Shape(shape).size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rng.nextGaussian();
        }
        return manager.create(values, new Shape(shape));
    }

    /** fp32 rounded to the nearest bf16 (ties to even), as libtorch rounds: the top 16 bits after rounding. */
    private static float roundToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int lsb = (bits >>> 16) & 1;
        return Float.intBitsToFloat((bits + 0x7FFF + lsb) & 0xFFFF0000);
    }

    @Test
    void theRoundTripThroughBf16IsRoundToNearestEven() {
        float[] values = {1f, 1.00390625f, 1.005859375f, -3.14159f, 1e-3f, 65504f, 0f};
        NDArray x = manager.create(values);
        NDArray half = Bf16Kernels.toBf16(x);
        assertEquals(DataType.UNKNOWN, half.getDataType(), "DJL sees bf16 as UNKNOWN: why the functions exist");
        float[] back = Bf16Kernels.toFp32(half).toFloatArray();
        for (int i = 0; i < values.length; i++) {
            assertEquals(roundToBf16(values[i]), back[i], 0f, "value " + values[i]);
        }
    }

    @Test
    void bothKernelsComputeBf16ProductsSummedInFp32() {
        Random rng = new Random(7);
        NDArray x = random(rng, 3, 17, 96);
        NDArray w = random(rng, 40, 96);
        NDArray b = random(rng, 40);
        // the exact reference: fp32 GEMM of the bf16-rounded operands (products exact in fp32), result rounded
        float[] reference = Linear.linear(Bf16Kernels.toFp32(Bf16Kernels.toBf16(x)),
                Bf16Kernels.toFp32(Bf16Kernels.toBf16(w)), Bf16Kernels.toFp32(Bf16Kernels.toBf16(b)))
                .singletonOrThrow().toFloatArray();
        for (String kernel : new String[] {"native", "emulated"}) {
            System.setProperty(Bf16Kernels.KERNEL_PROPERTY, kernel);
            float[] fromFp32Weight = Bf16Kernels.linear(x, w, b).toFloatArray();
            float[] fromBf16Copy = Bf16Kernels.linear(x, Bf16Kernels.toBf16(w), b).toFloatArray();
            assertArrayEquals(fromFp32Weight, fromBf16Copy, 0f, kernel + ": a cached bf16 copy is the per-call cast");
            for (int i = 0; i < reference.length; i++) {
                // Only the order of the fp32 sums differs (96 terms, relative 1e-6 of their magnitude), which can
                // move the final rounding to the neighbouring bf16 value: one bf16 step is 2^-7 relative.
                float step = Math.max(Math.abs(reference[i]), 1f) * 0x1p-7f;
                assertEquals(reference[i], fromFp32Weight[i], step, kernel + " element " + i);
                assertEquals(roundToBf16(fromFp32Weight[i]), fromFp32Weight[i], 0f, "the result is a bf16 value");
            }
        }
    }

    @Test
    void bf16IsCloseToFp32AndGradientsFlowToInputAndWeight() {
        Random rng = new Random(11);
        NDArray x0 = random(rng, 8, 64);
        NDArray w0 = random(rng, 32, 64);
        float[] fp32 = Linear.linear(x0, w0, null).singletonOrThrow().toFloatArray();
        for (String kernel : new String[] {"native", "emulated"}) {
            System.setProperty(Bf16Kernels.KERNEL_PROPERTY, kernel);
            NDArray x = x0.duplicate(); // fresh leaves: gradients accumulate across backward calls
            NDArray w = w0.duplicate();
            x.setRequiresGradient(true);
            w.setRequiresGradient(true);
            float[] bf16;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = Bf16Kernels.linear(x, w, null);
                bf16 = y.toFloatArray();
                collector.backward(y.sum());
            }
            for (int i = 0; i < fp32.length; i++) {
                // each operand rounded to 8 bits (2^-9 relative), 64 products of N(0,1) values: |y| ~ 8
                assertEquals(fp32[i], bf16[i], 0.1, kernel + " element " + i);
            }
            // d(sum y)/dx[i][k] = sum_j w[j][k]; d/dw[j][k] = sum_i x[i][k] (in bf16 arithmetic)
            float[] expectedDx = w.sum(new int[] {0}).toFloatArray();
            float[] dx = x.getGradient().get(0).toFloatArray();
            float[] expectedDw = x.sum(new int[] {0}).toFloatArray();
            float[] dw = w.getGradient().get(0).toFloatArray();
            for (int k = 0; k < 64; k++) {
                assertEquals(expectedDx[k], dx[k], 0.1, kernel + " dx " + k);
                assertEquals(expectedDw[k], dw[k], 0.05, kernel + " dw " + k);
            }
        }
    }

    @Test
    void aSourceTorchScriptCannotCompileIsRefusedWithItsName() {
        Supplier<TorchScriptFunction> broken = () -> TorchScriptFunction.compile("Broken", "x: Tensor",
                "return x.no_such_method()");
        IllegalStateException e = assertThrows(IllegalStateException.class, broken::get);
        assertTrue(e.getMessage().contains("Broken") && e.getMessage().contains("no_such_method"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TorchScriptFunction.compile("not a name", "x: Tensor",
                "return x"));
    }
}
