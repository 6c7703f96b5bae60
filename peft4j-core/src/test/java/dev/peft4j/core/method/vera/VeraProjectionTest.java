package dev.peft4j.core.method.vera;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.ToyMlp;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VeraProjectionTest {

    @TempDir
    Path tmp;

    /** Fails unless max |expected - actual| <= relTol * max |expected| (relative to the largest magnitude). */
    private static void assertClose(float[] expected, float[] actual, double relTol) {
        assertEquals(expected.length, actual.length, "length");
        double maxAbs = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(maxDiff <= relTol * maxAbs, "max diff " + maxDiff + " > " + relTol + " * max |expected| " + maxAbs);
    }

    @Test
    void layersOfDifferentShapesSliceOneProjectionSizedByTheLargest() throws IOException {
        int r = 3;
        try (ToyMlp model = new ToyMlp(5); NDManager m = NDManager.newBaseManager()) {
            // lin0 is [20, 10], lin1 is [2, 20]: A is [r, 20] (largest in), B is [20, r] (largest out)
            PeftModel peft = Peft.wrap(model, VeraConfig.builder().setRank(r).optProjectionPrng(9)
                    .optTargetModules(TargetModules.names("lin0", "lin1")).build());
            for (LinearSlot slot : model.linearLayers().values()) {
                VeraLayer layer = (VeraLayer) slot.get(PeftModel.DEFAULT_ADAPTER);
                layer.trainableParameters().values().forEach(t -> {
                    t.setRequiresGradient(false);
                    t.addi(0.5f);
                    t.setRequiresGradient(true);
                });
            }
            peft.save(tmp);
            SafeTensors.Loaded saved = SafeTensors.read(tmp.resolve("adapter_model.safetensors"));
            TensorData a = saved.tensors().get("base_model.vera_A");
            TensorData b = saved.tensors().get("base_model.vera_B");
            assertArrayEquals(new long[] {r, 20}, a.shape());
            assertArrayEquals(new long[] {20, r}, b.shape());
            NDArray fullA = m.create(a.asFloats(), new ai.djl.ndarray.types.Shape(a.shape()));
            NDArray fullB = m.create(b.asFloats(), new ai.djl.ndarray.types.Shape(b.shape()));
            for (LinearSlot slot : model.linearLayers().values()) {
                VeraLayer layer = (VeraLayer) slot.get(PeftModel.DEFAULT_ADAPTER);
                long out = slot.outFeatures();
                long in = slot.inFeatures();
                NDArray lambdaB = layer.trainableParameters().get(VeraLayer.LAMBDA_B).reshape(out, 1);
                NDArray lambdaD = layer.trainableParameters().get(VeraLayer.LAMBDA_D).reshape(r, 1);
                // W + diag(b) B[:m, :] diag(d) A[:, :n]
                NDArray expected = slot.weight().add(fullB.get(":" + out + ", :").mul(lambdaB)
                        .matMul(fullA.get(":, :" + in).mul(lambdaD)));
                // two fp32 paths to W + diag(b) B diag(d) A, r = 3 terms each: ~(r + 3)·u of the terms' magnitudes
                // (|W| ~ 1.5, |delta| ~ 1): 1e-5 relative to max |expected| (~2), ~40x the bound
                assertClose(expected.toFloatArray(), layer.mergedWeight().toFloatArray(), 1e-5);
            }
            float bound = (float) (1 / Math.sqrt(20));
            for (float v : a.asFloats()) {
                assertEquals(0, v, bound, "A ~ U(-1/sqrt(n_max), 1/sqrt(n_max))"); // a range check, not rounding
            }
        }
    }
}
