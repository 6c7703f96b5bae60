package dev.peft4j.core.adapter;

import static dev.peft4j.core.adapter.PeftModelTest.assertClose;
import static dev.peft4j.core.adapter.PeftModelTest.input;
import static dev.peft4j.core.adapter.PeftModelTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import dev.peft4j.core.nd.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What every adapter method must do, on peft's toy MLP (Linear 10 -> 20 -> 2, head {@code lin1}), as
 * peft's {@code PeftCommonTester}. A subclass per method supplies the config (adapting {@code lin0},
 * training the head as modules to save), whether its init is an identity, whether it exports as LoRA,
 * and its trainable-parameter formula. No test here asks which method it runs.
 */
abstract class AdapterMethodContract {

    static final long SEED = 21;
    /** lin1 (the head) is 2 x 20 + 2: trained in every method, reported apart. */
    static final long HEAD_COUNT = 42;

    @TempDir
    Path tmp;

    /** The config under test; adapts {@code lin0} ([20, 10]) and trains the head {@code lin1}. */
    abstract AdapterConfig config();

    /** Whether the wrapped model equals the base before any training. */
    abstract boolean identityAtInit();

    /** Whether the method's layers are {@link LowRankExportable}. */
    abstract boolean exportsLora();

    /** The method's own trainable floats for {@link #config()} on the toy MLP (the paper's figure). */
    abstract long expectedTrainableCount();

    /** Step size of the manual gradient step. */
    float learningRate() {
        return 1e-2f;
    }

    /**
     * What the method's training hook does after an optimiser step, applied after {@link #perturb} so that the
     * perturbation looks like training (trainable tokens put the other rows of their table back); nothing by default.
     */
    void afterPerturb(PeftModel peft) {
    }

    /** {@link #perturb}, then {@link #afterPerturb}: the adapter as training could leave it. */
    void train(PeftModel peft, float shift) {
        perturb(peft, shift);
        afterPerturb(peft);
    }

    /** Moves every trainable tensor away from its init (as if trained), deterministically. */
    static void perturb(PeftModel peft, float shift) {
        peft.trainableParameters().values().forEach(t -> {
            float[] v = t.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = v[i] * 1.25f + shift * ((i % 5) - 2) * 0.1f;
            }
            Tensors.overwrite(t, v);
        });
    }

    /** A loss linear in the output (fixed weights per output), so fp32 rounding stays small against its slope. */
    private static NDArray loss(NDArray output) {
        NDArray weights = output.getManager().arange(1f, 1f + output.getShape().size())
                .reshape(output.getShape()).mul(0.37f).sin();
        return output.mul(weights).sum();
    }

    private static float loss(ToyMlp model, NDArray x) {
        return loss(model.forward(x)).getFloat();
    }

    /** The output at init equals the base when the method promises an identity init, and differs otherwise. */
    @Test
    void initOutputKeepsTheMethodsPromise() {
        try (ToyMlp model = new ToyMlp(SEED); NDManager m = NDManager.newBaseManager()) {
            float[] base = run(model, m);
            Peft.wrap(model, config());
            float[] adapted = run(model, m);
            if (identityAtInit()) {
                // delta form: the adapter adds exactly zero at init, so the output is the base's, bit for bit
                assertArrayEquals(base, adapted, "identity at init must be exact");
            } else {
                double diff = 0;
                for (int i = 0; i < base.length; i++) {
                    diff = Math.max(diff, Math.abs(base[i] - adapted[i]));
                }
                // "must differ": a perturbing init moves the output by O(0.1); rounding alone moves it by ~1e-7
                assertTrue(diff > 1e-3, "a perturbing init must change the output, max diff " + diff);
            }
        }
    }

    @Test
    void trainableCountFollowsTheMethodsFormula() {
        try (ToyMlp model = new ToyMlp(SEED)) {
            PeftModel peft = Peft.wrap(model, config());
            assertEquals(expectedTrainableCount(), peft.adapterParameterCount(),
                    "adapter tensors " + peft.adapterParameters().keySet());
            assertEquals(HEAD_COUNT, PeftModel.count(peft.headParameters()));
            // all params = the toy MLP's 262 floats plus the adapter's new ones (in-place ones are not new)
            Set<NDArray> own = Collections.newSetFromMap(new IdentityHashMap<>());
            own.addAll(model.parameters().values());
            long added = peft.adapterParameters().values().stream().filter(t -> !own.contains(t))
                    .mapToLong(t -> t.getShape().size()).sum();
            assertTrue(peft.trainableParametersReport().startsWith("trainable params: " + expectedTrainableCount()
                    + " || all params: " + (262 + added) + " ||"), peft.trainableParametersReport());
        }
    }

    @Test
    void oneGradientStepChangesOnlyTrainableTensors() {
        try (ToyMlp model = new ToyMlp(SEED); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, config());
            train(peft, 0.3f); // off the init, so that every trainable tensor gets a gradient
            Map<String, NDArray> trainable = peft.trainableParameters();
            Set<NDArray> trainableSet = Collections.newSetFromMap(new IdentityHashMap<>());
            trainableSet.addAll(trainable.values());
            Map<String, float[]> frozenBefore = new LinkedHashMap<>();
            frozenTensors(model).forEach((name, t) -> {
                if (!trainableSet.contains(t)) {
                    frozenBefore.put(name, t.toFloatArray());
                }
            });
            Map<String, float[]> before = new LinkedHashMap<>();
            Map<String, float[]> grads = new LinkedHashMap<>();
            trainable.forEach((name, t) -> before.put(name, t.toFloatArray()));
            NDArray x = m.create(input(m), new Shape(4, 10));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(model.forward(x).square().sum());
                trainable.forEach((name, t) -> grads.put(name, t.getGradient().toFloatArray()));
            }
            trainable.forEach((name, t) -> {
                float[] v = before.get(name).clone();
                float[] g = grads.get(name);
                for (int i = 0; i < v.length; i++) {
                    v[i] -= learningRate() * g[i];
                }
                Tensors.overwrite(t, v);
            });
            trainable.forEach((name, t) -> assertFalse(Arrays.equals(before.get(name), t.toFloatArray()),
                    name + " got no update (zero gradient?)"));
            Map<String, NDArray> frozenAfter = frozenTensors(model);
            frozenBefore.forEach((name, values) -> assertArrayEquals(values, frozenAfter.get(name).toFloatArray(), 0f,
                    "frozen tensor " + name + " changed"));
        }
    }

    /** Every model parameter and every adapter tensor (trainable or not), by a readable name. */
    private static Map<String, NDArray> frozenTensors(ToyMlp model) {
        Map<String, NDArray> all = new LinkedHashMap<>(model.parameters());
        for (LinearSlot slot : model.linearLayers().values()) {
            for (String name : slot.adapterNames()) {
                AdapterLayer layer = slot.get(name);
                layer.stateTensors(true).forEach((key, t) -> all.put(slot.name() + "." + name + "." + key, t));
                if (layer instanceof SharedAdapterState shared) {
                    shared.sharedTensors().forEach((key, t) -> all.put(name + ".shared." + key, t));
                }
            }
        }
        return all;
    }

    @Test
    void mergedMatchesUnmergedAndUnmergeRestores() {
        try (ToyMlp model = new ToyMlp(SEED); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, config());
            train(peft, 0.3f);
            float[] unmerged = run(model, m);
            peft.merge();
            assertClose(unmerged, run(model, m), PeftModelTest.MERGE_TOLERANCE); // see there: ~5x the fp32 bound
            peft.unmerge();
            assertArrayEquals(unmerged, run(model, m), 0f);
            peft.mergeAndUnload();
            assertClose(unmerged, run(model, m), PeftModelTest.MERGE_TOLERANCE);
        }
    }

    @Test
    void disableDeleteAndUnloadRestoreTheBase() {
        try (ToyMlp model = new ToyMlp(SEED); NDManager m = NDManager.newBaseManager()) {
            float[] base = run(model, m);
            Map<String, float[]> weights = new LinkedHashMap<>();
            model.parameters().forEach((name, t) -> weights.put(name, t.toFloatArray()));
            PeftModel peft = Peft.wrap(model, config());
            train(peft, 0.3f);
            float[] adapted = run(model, m);
            assertFalse(Arrays.equals(base, adapted), "the perturbed adapter must change the output");
            peft.disableAdapters();
            assertArrayEquals(base, run(model, m), 0f);
            peft.enableAdapters();
            assertArrayEquals(adapted, run(model, m), 0f);
            peft.deleteAdapter(PeftModel.DEFAULT_ADAPTER);
            assertArrayEquals(base, run(model, m), 0f);
            peft.addAdapter("again", config());
            train(peft, 0.5f);
            peft.unload();
            assertArrayEquals(base, run(model, m), 0f);
            model.parameters().forEach((name, t) -> assertArrayEquals(weights.get(name), t.toFloatArray(), 0f,
                    name + " not restored"));
        }
    }

    @ParameterizedTest
    @EnumSource(SaveMode.class)
    void saveThenLoadKeepsTheOutput(SaveMode mode) throws IOException {
        Path dir = tmp.resolve(mode.name());
        float[] expected;
        long count;
        try (ToyMlp model = new ToyMlp(SEED); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, config());
            train(peft, 0.3f);
            expected = run(model, m);
            count = PeftModel.count(peft.trainableParameters());
            peft.save(dir, mode);
        }
        try (ToyMlp model = new ToyMlp(SEED); NDManager m = NDManager.newBaseManager()) {
            float[] base = run(model, m);
            PeftModel loaded = PeftModel.load(model, dir, true);
            // fp32 tensors round-trip bit for bit, and the same tensors through the same kernels give the same bits
            assertArrayEquals(expected, run(model, m), "save/load round trip must be exact");
            assertEquals(count, PeftModel.count(loaded.trainableParameters()));
            loaded.unload();
            assertArrayEquals(base, run(model, m), 0f);
        }
    }

    @Test
    void twoAdapterNamesDoNotInterfere() {
        try (ToyMlp model = new ToyMlp(SEED); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, config(), "a");
            train(peft, 0.3f);
            float[] first = run(model, m);
            peft.addAdapter("b", config());
            train(peft, -0.7f);
            float[] second = run(model, m);
            assertFalse(Arrays.equals(first, second), "differently trained adapters must differ");
            // switching runs the very same tensors through the very same kernels: bit for bit
            peft.setAdapter("a");
            assertArrayEquals(first, run(model, m), "back to a");
            peft.setAdapter("b");
            assertArrayEquals(second, run(model, m), "back to b");
            peft.deleteAdapter("b");
            assertEquals("a", peft.activeAdapter());
            assertArrayEquals(first, run(model, m), "a after deleting b");
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        try (ToyMlp model = new ToyMlp(SEED); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, config());
            train(peft, 0.3f);
            Map<String, NDArray> trainable = peft.trainableParameters();
            NDArray x = m.create(input(m), new Shape(4, 10));
            Map<String, float[]> analytic = new LinkedHashMap<>();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(loss(model.forward(x)));
                trainable.forEach((name, t) -> analytic.put(name, t.getGradient().toFloatArray()));
            }
            trainable.forEach((name, t) -> {
                for (int k = 0; k < 3; k++) {
                    int i = (int) ((long) k * t.getShape().size() / 3);
                    double expected = analytic.get(name)[i];
                    // Three step sizes: a ReLU kink within one step of the point spoils a central difference
                    // (the loss is otherwise linear in most tensors), rarely all three; fp32 rounding limits
                    // how small the step can be.
                    StringBuilder seen = new StringBuilder();
                    boolean matched = false;
                    for (double eps : new double[] {1e-2, 1e-3, 1e-4}) {
                        double numeric = centralDifference(model, x, t, i, eps);
                        // the loss is linear in the output, ~1e0-1e1, rounded to fp32 (~k·u·|L| ≈ 1e-6): over 2 eps
                        // = 2e-4 that is ~1e-2 of slope at the smallest step; 2e-2 of max(1, |slope|) covers it
                        matched |= Math.abs(numeric - expected) <= 2e-2 * Math.max(1, Math.abs(numeric));
                        seen.append(' ').append(numeric).append(" (step ").append(eps).append(')');
                    }
                    assertTrue(matched, "dL/d" + name + "[" + i + "]: autograd " + expected + ", finite differences"
                            + seen);
                }
            });
        }
    }

    private static double centralDifference(ToyMlp model, NDArray x, NDArray tensor, int index, double eps) {
        float[] v0 = tensor.toFloatArray();
        double[] losses = new double[2];
        for (int s = 0; s < 2; s++) {
            float[] v = v0.clone();
            v[index] += (float) (s == 0 ? eps : -eps);
            Tensors.overwrite(tensor, v);
            losses[s] = loss(model, x);
        }
        Tensors.overwrite(tensor, v0);
        return (losses[0] - losses[1]) / (2 * eps);
    }

    /** Low-rank methods export as LoRA with W + B A equal to the merged weight; the others refuse. */
    @Test
    void loraExportKeepsTheMethodsPromise() throws IOException {
        if (!exportsLora()) {
            try (ToyMlp model = new ToyMlp(SEED)) {
                PeftModel peft = Peft.wrap(model, config());
                assertThrows(IllegalArgumentException.class, () -> peft.exportLora(tmp));
            }
            return;
        }
        float[] adapted;
        try (ToyMlp model = new ToyMlp(SEED); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, config());
            train(peft, 0.3f);
            adapted = run(model, m);
            peft.exportLora(tmp);
            SafeTensors.Loaded lora = SafeTensors.read(tmp.resolve(AdapterFiles.WEIGHTS_FILE));
            LinearSlot lin0 = model.linearLayers().get("lin0");
            TensorData a = lora.tensors().get("base_model.model.lin0.lora_A.weight");
            TensorData b = lora.tensors().get("base_model.model.lin0.lora_B.weight");
            NDArray reconstructed = lin0.weight().add(m.create(b.asFloats(), new Shape(b.shape()))
                    .matMul(m.create(a.asFloats(), new Shape(a.shape()))));
            // W + B A vs the method's own merge: each entry a sum of r = 4 (or 2f) fp32 products plus W, rounded
            // differently: ~(r + 2)·u ≈ 4e-7 of the terms' magnitudes; 1e-5 of max |W'| leaves a wide margin
            assertClose(lin0.effectiveWeight().toFloatArray(), reconstructed.toFloatArray(), 1e-5);
        }
        try (ToyMlp model = new ToyMlp(SEED); NDManager m = NDManager.newBaseManager()) {
            PeftModel asLora = PeftModel.load(model, tmp, false);
            assertEquals("lora", asLora.adapter(PeftModel.DEFAULT_ADAPTER).method().id());
            // the method's forward vs LoRA's through the toy MLP: the merge bound applies (see PeftModelTest)
            assertClose(adapted, run(model, m), PeftModelTest.MERGE_TOLERANCE);
        }
    }
}
