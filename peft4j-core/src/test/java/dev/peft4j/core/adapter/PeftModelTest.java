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
import dev.peft4j.core.nd.Tensors;
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

    /** fp32 unit roundoff, 2^-24: the relative error of one rounding. */
    static final double U = 0x1p-24;

    /**
     * Relative closeness: fails unless {@code max_i |expected[i] - actual[i]| <= relTol * max_i |expected[i]|}. The
     * scale is the largest magnitude of {@code expected} (not each entry's own), so entries that cancel to near zero
     * are held to the same absolute error as the largest one, as rounding errors are: they scale with the summed
     * terms, not with the result. No absolute floor: the same check for outputs of size 1e-3 or 1e3. Size
     * {@code relTol} from the arithmetic (a sum of k fp32 terms is off by up to ~k·u of their magnitudes, u = 2^-24),
     * never from what one CPU measured: the GEMM kernel and so the rounding differ per instruction set.
     */
    static void assertClose(float[] expected, float[] actual, double relTol) {
        assertEquals(expected.length, actual.length, "length");
        double maxAbs = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(maxDiff <= relTol * maxAbs, "max diff " + maxDiff + " > " + relTol + " * max |expected| " + maxAbs
                + " (relative " + maxDiff / maxAbs + ")");
    }

    /**
     * Merged vs unmerged on the toy MLP: fl(W + dW) x vs W x + dW x are two fp32 paths through lin0 (10 terms, plus
     * the rank-r factors) and lin1 (20 terms); worst case ~(10 + 20 + 8)·u ≈ 2.3e-6 of the summed terms, which can
     * be a few times max |y| where terms cancel. 5e-5 relative to max |y| keeps a ~5x margin over that.
     */
    static final double MERGE_TOLERANCE = 5e-5;

    private static LolduConfig config(int rank, LolduInit init) {
        return LolduConfig.builder().setRank(rank).optInit(init).optTargetModules("lin0").build();
    }

    @Test
    void identityAtInitAndUnloadRestoresExactly() {
        try (ToyMlp model = new ToyMlp(1); NDManager m = NDManager.newBaseManager()) {
            float[] base = run(model, m);
            float[] w0 = model.linearLayers().get("lin0").weight().toFloatArray();
            PeftModel peft = Peft.wrap(model, config(8, LolduInit.LU));
            assertArrayEquals(base, run(model, m), "sigma z - sigma0 c is exactly 0 at init: the base, bit for bit");
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
                assertArrayEquals(base, adapted, init + ": identity at init must be exact");
            } else if (init != LolduInit.LU) {
                // a "must differ" check: perturbing inits move outputs by O(0.1), rounding by ~1e-7; 1e-4 separates them
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
                    Tensors.overwrite(z, zz);
                    losses[s] = model.forward(x).square().sum().getFloat();
                }
                double numeric = (losses[0] - losses[1]) / (2 * eps);
                // central difference of a loss quadratic in z (exact but for rounding): fp32 loss ~1e1 rounds by
                // ~k·u·|L| ≈ 1e-5, over 2 eps = 2e-2 gives ~1e-3 in the slope; 2e-2 of max(1, |slope|) covers it 20x
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
            assertNotEquals(first[0], second[0], 1e-5f); // "must differ": ZEROS vs ONES init differ by O(0.1)
            peft.setAdapter("default");
            // switching back runs the very same tensors through the very same kernels: bit for bit
            assertArrayEquals(first, run(model, m), "setAdapter(default) gives the first adapter's output exactly");
            peft.disableAdapters();
            assertArrayEquals(base, run(model, m), 0f);
            peft.enableAdapters();
            peft.deleteAdapter("default");
            assertEquals("other", peft.activeAdapter());
            assertArrayEquals(second, run(model, m), "deleting the other adapter leaves this one's output exactly");
            assertThrows(IllegalArgumentException.class, () -> peft.addAdapter("other", config(4, LolduInit.LU)));
        }
    }

    @Test
    void mergeAgreesWithUnmergedAndUnmergeRestores() {
        try (ToyMlp model = new ToyMlp(5); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, config(8, LolduInit.S_NORMAL));
            float[] unmerged = run(model, m);
            peft.merge();
            assertClose(unmerged, run(model, m), MERGE_TOLERANCE);
            assertThrows(IllegalStateException.class, () -> peft.setAdapter("default"));
            peft.unmerge();
            assertArrayEquals(unmerged, run(model, m), 0f);
            peft.mergeAndUnload();
            assertClose(unmerged, run(model, m), MERGE_TOLERANCE);
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
