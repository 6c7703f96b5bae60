package dev.peft4j.core.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.engine.Engine;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.method.loldu.LolduInit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PeftModelTest {

    static float[] input(NDManager manager) {
        java.util.Random rng = new java.util.Random(7);
        float[] x = new float[4 * 10];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }

    static float[] run(ToyMlp model, NDManager manager) {
        try (NDManager batch = manager.newSubManager()) {
            return model.forward(batch.create(input(batch), new Shape(4, 10))).toFloatArray();
        }
    }

    static void assertClose(float[] expected, float[] actual, double relTol) {
        double maxAbs = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(maxDiff <= relTol * Math.max(1, maxAbs), "max diff " + maxDiff + " > " + relTol + " * " + maxAbs);
    }

    private static LolduConfig config(int rank, LolduInit init) {
        return LolduConfig.builder().setRank(rank).optInit(init).optTargetModules("lin0").build();
    }

    @Test
    void identityAtInitAndUnloadRestoresExactly() {
        try (ToyMlp model = new ToyMlp(1); NDManager m = NDManager.newBaseManager()) {
            float[] base = run(model, m);
            float[] w0 = model.linearLayers().get("lin0").weight().toFloatArray();
            PeftModel peft = Peft.wrap(model, config(8, LolduInit.LU));
            assertClose(base, run(model, m), 1e-5);
            peft.unload();
            assertArrayEquals(base, run(model, m), 0f);
            assertArrayEquals(w0, model.linearLayers().get("lin0").weight().toFloatArray(), 0f);
        }
    }

    @ParameterizedTest
    @EnumSource(LolduInit.class)
    void everyInitFollowsItsFamilyAndUnloads(LolduInit init) {
        try (ToyMlp model = new ToyMlp(2); NDManager m = NDManager.newBaseManager()) {
            float[] base = run(model, m);
            PeftModel peft = Peft.wrap(model, config(6, init));
            float[] adapted = run(model, m);
            if (init.identityAtInit()) {
                assertClose(base, adapted, 1e-5);
            } else if (init != LolduInit.LU) {
                assertNotEquals(base[0], adapted[0], 1e-4f, "perturbing init must change the output at step 0");
            }
            peft.unload();
            assertArrayEquals(base, run(model, m), 0f);
        }
    }

    @Test
    void gradientReachesOnlyZAndMatchesFiniteDifferences() {
        try (ToyMlp model = new ToyMlp(3); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(5).optTargetModules("lin0")
                    .optTrainSigma(true).build());
            var params = peft.trainableParameters();
            assertEquals(2, params.size(), "z and sigma: " + params.keySet());
            NDArray z = params.get("base_model.model.lin0.loldu_z");
            NDArray x = m.create(input(m), new Shape(4, 10));
            float[] analytic;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = model.forward(x).square().sum();
                gc.backward(loss);
                analytic = z.getGradient().toFloatArray();
            }
            assertTrue(!model.linearLayers().get("lin0").weight().hasGradient(), "base weight must stay frozen");
            float[] z0 = z.toFloatArray();
            double eps = 1e-2;
            for (int i = 0; i < z0.length; i++) {
                double[] losses = new double[2];
                for (int s = 0; s < 2; s++) {
                    float[] zz = z0.clone();
                    zz[i] += (float) (s == 0 ? eps : -eps);
                    ModulesToSave.overwrite(z, zz);
                    losses[s] = model.forward(x).square().sum().getFloat();
                }
                double numeric = (losses[0] - losses[1]) / (2 * eps);
                assertEquals(numeric, analytic[i], 2e-2 * Math.max(1, Math.abs(numeric)), "dL/dz[" + i + "]");
            }
        }
    }

    @Test
    void namedAdaptersSwitchDisableAndDelete() {
        try (ToyMlp model = new ToyMlp(4); NDManager m = NDManager.newBaseManager()) {
            float[] base = run(model, m);
            PeftModel peft = Peft.wrap(model, config(4, LolduInit.ZEROS));
            float[] first = run(model, m);
            peft.addAdapter("other", config(4, LolduInit.ONES));
            assertEquals("other", peft.activeAdapter());
            float[] second = run(model, m);
            assertNotEquals(first[0], second[0], 1e-5f);
            peft.setAdapter("default");
            assertArrayEquals(first, run(model, m), 1e-6f);
            peft.disableAdapters();
            assertArrayEquals(base, run(model, m), 0f);
            peft.enableAdapters();
            peft.deleteAdapter("default");
            assertEquals("other", peft.activeAdapter());
            assertArrayEquals(second, run(model, m), 1e-6f);
            assertThrows(IllegalArgumentException.class, () -> peft.addAdapter("other", config(4, LolduInit.LU)));
        }
    }

    @Test
    void mergeAgreesWithUnmergedAndUnmergeRestores() {
        try (ToyMlp model = new ToyMlp(5); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, config(8, LolduInit.S_NORMAL));
            float[] unmerged = run(model, m);
            peft.merge();
            assertClose(unmerged, run(model, m), 1e-5);
            assertThrows(IllegalStateException.class, () -> peft.setAdapter("default"));
            peft.unmerge();
            assertArrayEquals(unmerged, run(model, m), 0f);
            peft.mergeAndUnload();
            assertClose(unmerged, run(model, m), 1e-5);
            assertTrue(model.linearLayers().get("lin0").adapterNames().isEmpty());
        }
    }

    @Test
    void targetsThatMatchNothingListTheLayers() {
        try (ToyMlp model = new ToyMlp(6)) {
            var e = assertThrows(IllegalArgumentException.class, () -> Peft.wrap(model,
                    LolduConfig.builder().setRank(4).optTargetModules("q_proj", "v_proj").build()));
            assertTrue(e.getMessage().contains("matched none of the 2 linear layers of ToyMlp"), e.getMessage());
            assertTrue(e.getMessage().contains("lin0, lin1"), e.getMessage());
        }
    }

    @Test
    void allLinearSkipsTheHeadAndReportCountsLikePeft() {
        try (ToyMlp model = new ToyMlp(7)) {
            PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(64)
                    .optTargetModules(TargetModules.allLinear()).optModulesToSave("lin1").build());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            peft.printTrainableParameters(new PrintStream(out, true));
            // lin0 is 20x10: rank capped to 10. All params: 20*10+20 + 2*20+2 = 262, plus 10 adapter floats.
            assertEquals(String.format("trainable params: 10 || all params: 272 || trainable%%: 3.6765%n"
                    + "modules_to_save params (head, trained fully, not counted above): 42%n"), out.toString());
        }
    }
}
