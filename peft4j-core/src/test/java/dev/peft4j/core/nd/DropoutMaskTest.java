package dev.peft4j.core.nd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class DropoutMaskTest {

    @Test
    void dropsAtTheRateAndScalesTheRestLikePytorch() {
        try (NDManager manager = NDManager.newBaseManager()) {
            int n = 3_000_001; // three chunks and an odd tail
            NDArray x = manager.ones(new Shape(n));
            float[] out = DropoutMask.apply(x, 0.1f).toFloatArray();
            int dropped = 0;
            for (float v : out) {
                if (v == 0f) {
                    dropped++;
                } else {
                    assertEquals(1f / 0.9f, v, 0f, "kept values scaled by 1 / (1 - rate), as torch's dropout");
                }
            }
            // binomial(n, 0.1): standard deviation sqrt(n * 0.1 * 0.9) = 520; 6 of them is a false alarm 1 in 1e9
            assertEquals(0.1 * n, dropped, 6 * Math.sqrt(n * 0.1 * 0.9));
            assertSame(x, DropoutMask.apply(x, 0f), "rate 0 is the tensor itself");
            assertThrows(IllegalArgumentException.class, () -> DropoutMask.apply(x, 1f));
        }
    }

    @Test
    void theEnginesSeedFixesEveryMaskAndChunksDrawIndependently() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.ones(new Shape(4, 1 << 19)); // two chunks
            Engine.getInstance().setRandomSeed(5);
            float[] first = DropoutMask.apply(x, 0.5f).toFloatArray();
            float[] second = DropoutMask.apply(x, 0.5f).toFloatArray();
            Engine.getInstance().setRandomSeed(5);
            assertArrayEquals(first, DropoutMask.apply(x, 0.5f).toFloatArray(), 0f, "same seed, same mask");
            assertFalse(java.util.Arrays.equals(first, second), "the next call draws a new mask");
            int chunk = 1 << 20;
            boolean chunksDiffer = false;
            for (int i = 0; i < 64 && !chunksDiffer; i++) {
                chunksDiffer = first[i] != first[chunk + i];
            }
            assertTrue(chunksDiffer, "each chunk has its own stream");
        }
    }

    @Test
    void theGradientIsTheMaskEvenAfterACollectionBetweenForwardAndBackward() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.randomNormal(new Shape(64, 512));
            x.setRequiresGradient(true);
            float[] out;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray y = DropoutMask.apply(x, 0.3f);
                out = y.toFloatArray();
                System.gc(); // the mask's Java buffer may go; the engine's copy must stay for the backward
                collector.backward(y.sum());
            }
            float[] grad = x.getGradient().toFloatArray();
            float[] in = x.toFloatArray();
            float scale = 1f / 0.7f;
            for (int i = 0; i < grad.length; i++) {
                boolean kept = out[i] != 0f || in[i] == 0f;
                assertEquals(kept ? scale : 0f, grad[i], 0f, "element " + i);
                if (kept) {
                    assertEquals(in[i] * scale, out[i], 0f);
                }
            }
        }
    }
}
