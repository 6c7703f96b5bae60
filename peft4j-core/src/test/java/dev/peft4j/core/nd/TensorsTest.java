package dev.peft4j.core.nd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

class TensorsTest {

    @Test
    void overwritesInPlaceAndKeepsTheGradientFlag() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray leaf = manager.zeros(new Shape(2, 3));
            leaf.setRequiresGradient(true);
            float[] values = {1, -2, 3.5f, Float.MIN_VALUE, 1e38f, -0f};
            Tensors.overwrite(leaf, values);
            assertArrayEquals(values, leaf.toFloatArray(), "values copied exactly, bit for bit");
            assertTrue(leaf.hasGradient(), "still a trainable leaf");
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(leaf.mul(leaf).sum());
            }
            float[] expected = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                expected[i] = 2 * values[i];
            }
            assertArrayEquals(expected, leaf.getGradient().toFloatArray(), "the gradient sees the new values");

            NDArray frozen = manager.zeros(new Shape(1));
            Tensors.overwrite(frozen, new float[] {7});
            assertFalse(frozen.hasGradient());
            assertArrayEquals(new float[] {7}, frozen.toFloatArray());
        }
    }

    @Test
    void refusesTheWrongNumberOfValues() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray t = manager.zeros(new Shape(2, 2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Tensors.overwrite(t, new float[3]));
            assertTrue(e.getMessage().contains("(2, 2)") && e.getMessage().contains("with 3 values"), e.getMessage());
        }
    }
}
