package dev.peft4j.core.method.adalora;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

class OrthogonalRegularizerTest {

    @Test
    void theValueIsTheWeightedMeanOfTheGramMatricesDistancesToTheIdentity() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // A A^T = diag(1, 4): ||diag(0, 3)||_F = 3; B^T B = [[2, 1], [1, 2]]: ||[[1, 1], [1, 1]]||_F = 2
            NDArray a = manager.create(new float[] {1, 0, 0, 0, 2, 0}, new Shape(2, 3));
            NDArray b = manager.create(new float[] {1, 0, 0, 1, 1, 1}, new Shape(3, 2));
            NDArray loss = OrthogonalRegularizer.loss(List.of(a), List.of(b), 0.5f, manager);
            // every product, sum and root here is exact in fp32: 0.5 (3 + 2) / 2
            assertEquals(1.25f, loss.getFloat(), 0f);
        }
    }

    @Test
    void theGradientOfAnATermIsTheFrobeniusNormsDerivative() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // one A = [[1, 0, 0], [0, 2, 0]]: L = w ||A A^T - I||_F, dL/dA = w 2 (A A^T - I) A / ||A A^T - I||_F
            // = 0.5 · 2 · diag(0, 3) A / 3 = [[0, 0, 0], [0, 2, 0]]
            NDArray a = manager.create(new float[] {1, 0, 0, 0, 2, 0}, new Shape(2, 3));
            a.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(OrthogonalRegularizer.loss(List.of(a), List.of(), 0.5f, manager));
            }
            float[] gradient = a.getGradient().toFloatArray();
            float[] expected = {0, 0, 0, 0, 2, 0};
            for (int i = 0; i < expected.length; i++) {
                // a handful of fp32 roundings of values of order 1: 1e-6 is a few ulp
                assertEquals(expected[i], gradient[i], 1e-6, "dL/dA[" + i + "]");
            }
        }
    }
}
