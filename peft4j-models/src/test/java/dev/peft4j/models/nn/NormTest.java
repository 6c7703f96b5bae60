package dev.peft4j.models.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link RmsNorm} and {@link LayerNorm} against their formulas written out in Java. */
class NormTest {

    private static final float[] X = {1f, -2f, 3f, 0.5f, 0.1f, 0.2f, -0.3f, 4f};
    private static final float[] GAMMA = {1f, 0.5f, 2f, -1f};

    @Test
    void rmsNormDividesByTheRootMeanSquareAndScales() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float eps = 1e-6f;
            RmsNorm norm = RmsNorm.fromParameters(Map.of("norm.weight", manager.create(GAMMA)), "norm", eps);
            float[] actual = norm.forward(manager.create(X, new Shape(2, 4))).toFloatArray();
            float[] expected = new float[X.length];
            for (int row = 0; row < 2; row++) {
                double meanSquare = 0;
                for (int i = 0; i < 4; i++) {
                    meanSquare += X[row * 4 + i] * X[row * 4 + i] / 4.0;
                }
                for (int i = 0; i < 4; i++) {
                    expected[row * 4 + i] = (float) (X[row * 4 + i] / Math.sqrt(meanSquare + eps) * GAMMA[i]);
                }
            }
            assertArrayEquals(expected, actual, 1e-5f);
        }
    }

    @Test
    void rmsNormIsDifferentiableInItsInputAndScale() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray gamma = manager.create(GAMMA);
            gamma.setRequiresGradient(true);
            NDArray x = manager.create(X, new Shape(2, 4));
            x.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(new RmsNorm(gamma, 1e-6f).forward(x).square().sum());
            }
            // d/dgamma of sum((x_hat * gamma)^2) = 2 gamma sum_rows(x_hat^2); each row of x_hat^2 has mean ~1
            float[] gradient = gamma.getGradient().toFloatArray();
            for (int i = 0; i < 4; i++) {
                assertTrue(Float.isFinite(gradient[i]) && gradient[i] != 0f, "gradient " + i + ": " + gradient[i]);
            }
            assertTrue(Float.isFinite(x.getGradient().abs().sum().getFloat()));
            assertThrows(IllegalArgumentException.class, () -> new RmsNorm(gamma, 0f));
        }
    }

    @Test
    void layerNormCentresScalesAndShifts() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] beta = {0.1f, 0.2f, 0.3f, 0.4f};
            float eps = 1e-12f;
            LayerNorm norm = new LayerNorm(manager.create(GAMMA), manager.create(beta), eps);
            float[] actual = norm.forward(manager.create(X, new Shape(2, 4))).toFloatArray();
            for (int row = 0; row < 2; row++) {
                double mean = 0;
                double variance = 0;
                for (int i = 0; i < 4; i++) {
                    mean += X[row * 4 + i] / 4.0;
                }
                for (int i = 0; i < 4; i++) {
                    variance += Math.pow(X[row * 4 + i] - mean, 2) / 4.0;
                }
                for (int i = 0; i < 4; i++) {
                    double expected = (X[row * 4 + i] - mean) / Math.sqrt(variance + eps) * GAMMA[i] + beta[i];
                    assertEquals(expected, actual[row * 4 + i], 1e-5, "row " + row + ", column " + i);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.fromParameters(Map.of(), "missing", eps));
        }
    }
}
