package dev.peft4j.core.adapter;

import static dev.peft4j.core.adapter.PeftModelTest.assertClose;
import static dev.peft4j.core.adapter.PeftModelTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.peft4j.core.method.full.FullFineTuneConfig;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.precision.Bf16Kernels;
import dev.peft4j.core.precision.Precision;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Models multiplied in bf16: both kernels (native and emulated), on any CPU. */
class Bf16PrecisionTest {

    /**
     * bf16 against fp32 on the toy MLP: each operand rounded to 8 significant bits (2^-9 relative), through two
     * layers of 10 and 20 terms; the output rounded to bf16 once per layer. A few 2^-8 of max |y| bound it; 3e-2
     * leaves a margin and still fails for a weight that is not the model's (those differ by O(1)).
     */
    private static final double BF16_TOLERANCE = 3e-2;

    @AfterEach
    void clear() {
        System.clearProperty(Bf16Kernels.KERNEL_PROPERTY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "emulated"})
    void loldusIdentityAtInitStaysExactAndTheFp32WeightsAreUntouched(String kernel) {
        System.setProperty(Bf16Kernels.KERNEL_PROPERTY, kernel);
        try (ToyMlp model = new ToyMlp(1); NDManager m = NDManager.newBaseManager()) {
            float[] fp32 = run(model, m);
            float[] w0 = model.linearLayers().get("lin0").weight().toFloatArray();
            String fingerprint = model.linearLayers().get("lin0").baseFingerprint();
            Peft.setPrecision(model, Precision.BF16);
            float[] bf16 = run(model, m);
            assertClose(fp32, bf16, BF16_TOLERANCE);
            assertNotEquals(fp32[0], bf16[0], "the products did run in bf16");
            PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(8).optTargetModules("lin0").build());
            assertArrayEquals(bf16, run(model, m), 0f, "sigma z - sigma0 c is exactly 0: the bf16 base, bit for bit");
            assertArrayEquals(w0, model.linearLayers().get("lin0").weight().toFloatArray(), 0f,
                    "the fp32 weight stays as loaded");
            assertEquals(fingerprint, model.linearLayers().get("lin0").baseFingerprint(),
                    "adapter files see the same base in either precision");
            peft.merge();
            assertClose(bf16, run(model, m), BF16_TOLERANCE);
            peft.unmerge();
            assertArrayEquals(bf16, run(model, m), 0f);
            Peft.setPrecision(model, Precision.FP32);
            assertArrayEquals(fp32, run(model, m), 0f, "back in fp32: the fp32 model, bit for bit");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "emulated"})
    void gradientsReachLolduZInFp32AndAWeightTrainedInPlace(String kernel) {
        System.setProperty(Bf16Kernels.KERNEL_PROPERTY, kernel);
        float[][] zGradients = new float[2][];
        for (Precision precision : Precision.values()) {
            try (ToyMlp model = new ToyMlp(3); NDManager m = NDManager.newBaseManager()) {
                Peft.setPrecision(model, precision);
                PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(5).optTargetModules("lin0").build());
                NDArray z = peft.trainableParameters().get("base_model.model.lin0.loldu_z");
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(model.forward(m.create(PeftModelTest.input(m), new Shape(4, 10))).square().sum());
                }
                zGradients[precision.ordinal()] = z.getGradient().toFloatArray();
                assertSame(DataType.FLOAT32, z.getGradient().getDataType(), "fp32 gradient");
            }
        }
        // the same gradient through bf16 products: the input rounded to bf16 and the output gradient too
        assertClose(zGradients[0], zGradients[1], 5e-2);

        try (ToyMlp model = new ToyMlp(4); NDManager m = NDManager.newBaseManager()) {
            Peft.setPrecision(model, Precision.BF16);
            PeftModel peft = Peft.wrap(model, FullFineTuneConfig.builder().build());
            NDArray w = model.linearLayers().get("lin0").weight();
            assertTrue(w.hasGradient(), "full fine-tuning trains the fp32 weight");
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(model.forward(m.create(PeftModelTest.input(m), new Shape(4, 10))).square().sum());
            }
            float[] dw = w.getGradient().toFloatArray();
            double norm = 0;
            for (float v : dw) {
                norm += v * v;
            }
            assertTrue(norm > 0, "the gradient reached the fp32 weight through the per-call cast");
            peft.unload();
        }
    }
}
