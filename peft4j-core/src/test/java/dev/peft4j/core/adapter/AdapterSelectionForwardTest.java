package dev.peft4j.core.adapter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.peft4j.core.method.bitfit.BitFitConfig;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.method.loldu.LolduInit;
import dev.peft4j.core.method.lora.LoraConfig;
import dev.peft4j.core.method.vera.VeraConfig;
import dev.peft4j.core.nd.Tensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The adapter chosen per call ({@link AdapterSelection}) on the toy MLP (10 -> 20 -> 2, head {@code lin1}): a batch
 * mixing adapters equals the single-adapter batches row for row, explicit selections leave the active-adapter state
 * alone and run concurrently, and bad selections are refused with the loaded names.
 */
class AdapterSelectionForwardTest {

    private static final int BATCH = 8;
    private static final String BASE = AdapterSelection.BASE;
    /** Rows of the mixed batch: three adapters and the base, each at least twice, interleaved. */
    private static final List<String> ROWS = List.of("a", BASE, "b", "c", "a", "c", BASE, "b");

    /**
     * Tolerance for rows whose path runs on a sub-batch (peft's grouping: LoRA layers, per-adapter heads): the same
     * ops on the same row values, but a GEMM over fewer rows may use another kernel blocking and so sum the K terms
     * (K = 10 in lin0, 20 in lin1) in another order. That moves a result by up to ~K·u (u = 2^-24) of the summed
     * magnitudes, ~2e-6 here with the ReLU between; 2e-5 relative to max |y| keeps a ~10x margin. Measured here: up
     * to 3.3e-7 relative (a few ulp), so the grouped rows are close but not bit for bit.
     */
    static final double GROUPED_TOLERANCE = 2e-5;

    @TempDir
    Path tmp;

    /** The toy MLP's forward under an explicit selection (checked against the model, as a model's forward does). */
    static NDArray forward(ToyMlp model, NDArray x, AdapterSelection selection) {
        selection.requireLoadedIn(model).requireRows(x.getShape().get(0), model.modelName());
        LinearSlot lin0 = model.linearLayers().get("lin0");
        LinearSlot lin1 = model.linearLayers().get("lin1");
        return lin1.forward(Activation.relu(lin0.forward(x, selection)), selection);
    }

    static float[] input(int rows, long seed) {
        java.util.Random rng = new java.util.Random(seed);
        float[] x = new float[rows * 10];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rng.nextGaussian();
        }
        return x;
    }

    private static float[] run(ToyMlp model, NDManager manager, AdapterSelection selection) {
        return run(model, manager, selection, input(BATCH, 7));
    }

    private static float[] run(ToyMlp model, NDManager manager, AdapterSelection selection, float[] x) {
        try (NDManager batch = manager.newSubManager()) {
            return forward(model, batch.create(x, new Shape(x.length / 10, 10)), selection).toFloatArray();
        }
    }

    /** Moves the active adapter's trainable tensors (head copy included) away from their init, by a per-name shift. */
    static void perturb(PeftModel peft, float shift) {
        peft.trainableParameters().values().forEach(t -> {
            float[] v = t.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = v[i] * (1.1f + shift) + shift * ((i % 7) - 3) * 0.1f;
            }
            Tensors.overwrite(t, v);
        });
    }

    /** Wraps the model with adapters a, b, c from {@code config}, each trained differently; "c" stays active. */
    private static PeftModel threeAdapters(ToyMlp model, AdapterConfig config) {
        PeftModel peft = Peft.wrap(model, config, "a");
        perturb(peft, 0.3f);
        peft.addAdapter("b", config);
        perturb(peft, -0.4f);
        peft.addAdapter("c", config);
        perturb(peft, 0.7f);
        return peft;
    }

    private static LolduConfig loldu(String... targets) {
        return LolduConfig.builder().setRank(6).optInit(LolduInit.NORMAL).optTrainSigma(true)
                .optTargetModules(targets).build();
    }

    private static LolduConfig lolduWithHead() {
        return LolduConfig.builder().setRank(6).optInit(LolduInit.NORMAL).optTrainSigma(true)
                .optTargetModules("lin0").optModulesToSave("lin1").build();
    }

    private static LoraConfig loraWithHead() {
        return LoraConfig.builder().setRank(4).optAlpha(8).optTargetModules("lin0").optModulesToSave("lin1").build();
    }

    /** Row r of {@code mixed} against row r of the whole batch run on that row's adapter alone. */
    private static void assertRowsMatchWholeBatchRuns(ToyMlp model, NDManager m, float[] mixed, double tolerance) {
        int width = mixed.length / BATCH;
        Map<String, float[]> single = new LinkedHashMap<>();
        for (String name : ROWS) {
            single.computeIfAbsent(name, n -> run(model, m, AdapterSelection.of(n)));
        }
        // not vacuous: every adapter (and the base) gives its own output
        List<float[]> outputs = new ArrayList<>(single.values());
        for (int i = 0; i < outputs.size(); i++) {
            for (int j = i + 1; j < outputs.size(); j++) {
                assertFalse(Arrays.equals(outputs.get(i), outputs.get(j)), "two selections gave the same output");
            }
        }
        for (int row = 0; row < BATCH; row++) {
            float[] expected = Arrays.copyOfRange(single.get(ROWS.get(row)), row * width, (row + 1) * width);
            float[] actual = Arrays.copyOfRange(mixed, row * width, (row + 1) * width);
            if (tolerance == 0) {
                assertArrayEquals(expected, actual, "row " + row + " (" + ROWS.get(row) + ") must be bit for bit");
            } else {
                PeftModelTest.assertClose(expected, actual, tolerance);
            }
        }
    }

    /** Each adapter's rows sent as their own request (k separate batches), against those rows of the mixed batch. */
    private static void assertRowsMatchSeparateRequests(ToyMlp model, NDManager m, float[] mixed) {
        int width = mixed.length / BATCH;
        float[] x = input(BATCH, 7);
        for (String name : new java.util.LinkedHashSet<>(ROWS)) {
            List<Integer> rows = new ArrayList<>();
            for (int row = 0; row < BATCH; row++) {
                if (ROWS.get(row).equals(name)) {
                    rows.add(row);
                }
            }
            float[] sub = new float[rows.size() * 10];
            float[] expected = new float[rows.size() * width];
            for (int i = 0; i < rows.size(); i++) {
                System.arraycopy(x, rows.get(i) * 10, sub, i * 10, 10);
                System.arraycopy(mixed, rows.get(i) * width, expected, i * width, width);
            }
            // here the request is the sub-batch: every GEMM runs on fewer rows, so the grouped bound applies
            PeftModelTest.assertClose(expected, run(model, m, AdapterSelection.of(name), sub), GROUPED_TOLERANCE);
        }
    }

    @Test
    void lolduMixedBatchIsBitForBitTheSingleAdapterBatches() {
        // LoLDU on both layers, no head copies: every slot runs the gathered path, the same ops per row
        try (ToyMlp model = new ToyMlp(31); NDManager m = NDManager.newBaseManager()) {
            threeAdapters(model, loldu("lin0", "lin1"));
            float[] mixed = run(model, m, AdapterSelection.perRow(ROWS));
            assertRowsMatchWholeBatchRuns(model, m, mixed, 0);
            assertRowsMatchSeparateRequests(model, m, mixed);
        }
    }

    @Test
    void lolduPerAdapterLoopGivesTheGatheredResultWithinRounding() {
        try (ToyMlp model = new ToyMlp(36); NDManager m = NDManager.newBaseManager()) {
            threeAdapters(model, loldu("lin0", "lin1"));
            AdapterSelection gathered = AdapterSelection.perRow(ROWS);
            AdapterSelection loop = gathered.perAdapterLoop();
            assertTrue(gathered.gathersSharedFactors());
            assertFalse(loop.gathersSharedFactors());
            assertNotEquals(gathered, loop);
            assertEquals(ROWS, loop.rowNames());
            // each adapter's path then runs on a sub-batch: another GEMM blocking, the grouped bound
            float[] mixed = run(model, m, gathered);
            PeftModelTest.assertClose(mixed, run(model, m, loop), GROUPED_TOLERANCE);
            assertRowsMatchSeparateRequests(model, m, run(model, m, loop));
            AdapterSelection whole = AdapterSelection.of("a");
            assertSame(whole, whole.perAdapterLoop(), "a whole-batch selection has nothing to loop over");
        }
    }

    @Test
    void lolduWithPerAdapterHeadsMatchesTheSingleAdapterBatches() {
        try (ToyMlp model = new ToyMlp(32); NDManager m = NDManager.newBaseManager()) {
            threeAdapters(model, lolduWithHead());
            float[] mixed = run(model, m, AdapterSelection.perRow(ROWS));
            // lin0 is gathered (exact); lin1 runs each head on the rows that chose it, a sub-batch GEMM
            assertRowsMatchWholeBatchRuns(model, m, mixed, GROUPED_TOLERANCE);
            assertRowsMatchSeparateRequests(model, m, mixed);
            float[] base = run(model, m, AdapterSelection.base());
            float[] a = run(model, m, AdapterSelection.of("a"));
            assertFalse(Arrays.equals(base, a), "adapter a (and its head) must change the output");
        }
    }

    @Test
    void loraMixedBatchGroupsRowsByAdapterAndMatchesTheSingleAdapterBatches() {
        try (ToyMlp model = new ToyMlp(33); NDManager m = NDManager.newBaseManager()) {
            threeAdapters(model, loraWithHead());
            float[] mixed = run(model, m, AdapterSelection.perRow(ROWS));
            assertRowsMatchWholeBatchRuns(model, m, mixed, GROUPED_TOLERANCE);
            assertRowsMatchSeparateRequests(model, m, mixed);
        }
    }

    @Test
    void methodsMixInOneBatch() {
        // a: LoLDU (gathered), b: LoRA and c: VeRA (grouped), base: W x + b; all on lin0, heads per adapter
        try (ToyMlp model = new ToyMlp(34); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, lolduWithHead(), "a");
            perturb(peft, 0.3f);
            peft.addAdapter("b", loraWithHead());
            perturb(peft, -0.4f);
            peft.addAdapter("c", VeraConfig.builder().setRank(4).optTargetModules("lin0").optModulesToSave("lin1")
                    .build());
            perturb(peft, 0.7f);
            float[] mixed = run(model, m, AdapterSelection.perRow(ROWS));
            assertRowsMatchWholeBatchRuns(model, m, mixed, GROUPED_TOLERANCE);
            assertRowsMatchSeparateRequests(model, m, mixed);
        }
    }

    @Test
    void singleSelectionEqualsTheActiveAdapterForwardExactly() {
        try (ToyMlp model = new ToyMlp(35); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = threeAdapters(model, lolduWithHead());
            for (String name : List.of("a", "b", "c")) {
                peft.setAdapter(name);
                // same tensors through the same kernels on the same batch: bit for bit
                assertArrayEquals(PeftModelTest.run(model, m), runToy(model, m, AdapterSelection.of(name)), name);
            }
            peft.disableAdapters();
            assertArrayEquals(PeftModelTest.run(model, m), runToy(model, m, AdapterSelection.base()), "base");
        }
    }

    /** The 4-row input of {@link PeftModelTest#run}, under a selection. */
    private static float[] runToy(ToyMlp model, NDManager m, AdapterSelection selection) {
        try (NDManager batch = m.newSubManager()) {
            return forward(model, batch.create(PeftModelTest.input(batch), new Shape(4, 10)), selection)
                    .toFloatArray();
        }
    }

    @Test
    void explicitSelectionsLeaveTheActiveAdapterStateAlone() {
        try (ToyMlp model = new ToyMlp(36); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = threeAdapters(model, lolduWithHead());
            peft.setAdapter("b");
            float[] activeBefore = PeftModelTest.run(model, m);
            Map<String, List<String>> slotsBefore = activeLists(model);
            Map<String, float[]> weightsBefore = new LinkedHashMap<>();
            model.parameters().forEach((name, t) -> weightsBefore.put(name, t.toFloatArray()));
            float[] base = run(model, m, AdapterSelection.base());
            run(model, m, AdapterSelection.of("a"));
            run(model, m, AdapterSelection.perRow(ROWS));
            assertEquals("b", peft.activeAdapter());
            assertEquals(slotsBefore, activeLists(model));
            assertArrayEquals(activeBefore, PeftModelTest.run(model, m), "the active-adapter forward is unchanged");
            // the model's own tensors (the original head included) were never written
            model.parameters().forEach((name, t) -> assertArrayEquals(weightsBefore.get(name), t.toFloatArray(), 0f,
                    name));
            // and the base selection ignores the active adapter and the disabled flag both ways
            peft.disableAdapters();
            assertArrayEquals(base, run(model, m, AdapterSelection.base()));
            float[] bWhileDisabled = run(model, m, AdapterSelection.of("b"));
            peft.enableAdapters();
            assertArrayEquals(bWhileDisabled, run(model, m, AdapterSelection.of("b")));
            // merging the active adapter changes nothing for explicit selections (they run the factored path)
            float[] mixed = run(model, m, AdapterSelection.perRow(ROWS));
            peft.merge();
            assertArrayEquals(mixed, run(model, m, AdapterSelection.perRow(ROWS)));
            peft.unmerge();
        }
    }

    private static Map<String, List<String>> activeLists(ToyMlp model) {
        Map<String, List<String>> lists = new LinkedHashMap<>();
        model.linearLayers().forEach((name, slot) -> lists.put(name, List.copyOf(slot.activeAdapters())));
        return lists;
    }

    @Test
    void twoThreadsRunTwoSelectionsAtOnce() throws Exception {
        try (ToyMlp model = new ToyMlp(37); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = threeAdapters(model, lolduWithHead());
            peft.addAdapter("lora", loraWithHead()); // LoLDU gathered and LoRA grouped in one batch
            perturb(peft, -0.2f);
            AdapterSelection mixed = AdapterSelection.perRow(List.of("a", "lora", BASE, "b", "c", "lora", "a", BASE));
            AdapterSelection single = AdapterSelection.of("c");
            float[] expectedMixed = run(model, m, mixed);
            float[] expectedSingle = run(model, m, single);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<Integer>> results = new ArrayList<>();
                for (AdapterSelection[] pair : new AdapterSelection[][] {{mixed, single}, {single, mixed}}) {
                    Callable<Integer> worker = () -> {
                        for (int i = 0; i < 200; i++) {
                            AdapterSelection s = pair[i % 2];
                            // deterministic kernels on equal inputs: each result is the single-threaded one exactly
                            assertArrayEquals(s == mixed ? expectedMixed : expectedSingle, run(model, m, s),
                                    "iteration " + i + " of " + s);
                        }
                        return 200;
                    };
                    results.add(pool.submit(worker));
                }
                for (Future<Integer> result : results) {
                    assertEquals(200, result.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aMixedBatchTrainsEachRowsAdapter() {
        // a per-row batch is ordinary autograd: the loss on a's rows alone gives a's tensors the same gradient as
        // the mixed batch does, and b's tensors get nothing from a's rows
        try (ToyMlp model = new ToyMlp(41); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = Peft.wrap(model, lolduWithHead(), "a");
            perturb(peft, 0.3f);
            Map<String, NDArray> aTensors = peft.trainableParameters();
            peft.addAdapter("b", loraWithHead());
            perturb(peft, -0.4f);
            Map<String, NDArray> bTensors = peft.trainableParameters();
            List<String> rows = List.of("a", "b", BASE, "a");
            float[] x = input(4, 9);
            Map<String, float[]> mixed = gradients(model, m, x, AdapterSelection.perRow(rows), aTensors, bTensors);
            float[] aRows = new float[2 * 10];
            System.arraycopy(x, 0, aRows, 0, 10);
            System.arraycopy(x, 30, aRows, 10, 10);
            // gradients accumulate across backward passes: the second pass's own share is after minus before
            Map<String, float[]> after = gradients(model, m, aRows, AdapterSelection.of("a"), aTensors, Map.of());
            Map<String, float[]> alone = new LinkedHashMap<>();
            after.forEach((key, g) -> {
                float[] own = g.clone();
                for (int i = 0; i < own.length; i++) {
                    own[i] -= mixed.get(key)[i];
                }
                alone.put(key, own);
            });
            aTensors.keySet().forEach(key -> {
                assertTrue(Arrays.stream(box(mixed.get("a:" + key))).anyMatch(g -> g != 0), "no gradient for " + key);
                // the same sums of per-row products over sub-batch GEMMs, and one subtraction of accumulated
                // gradients (each ~|g|, so its rounding is ~u of max |g|): the grouped bound applies
                PeftModelTest.assertClose(alone.get("a:" + key), mixed.get("a:" + key), GROUPED_TOLERANCE);
            });
            bTensors.keySet().forEach(key -> assertTrue(Arrays.stream(box(mixed.get("b:" + key))).anyMatch(g -> g != 0),
                    "no gradient for b's " + key));
        }
    }

    private static Map<String, float[]> gradients(ToyMlp model, NDManager m, float[] x, AdapterSelection selection,
            Map<String, NDArray> a, Map<String, NDArray> b) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        try (NDManager batch = m.newSubManager();
                ai.djl.training.GradientCollector collector = ai.djl.engine.Engine.getInstance()
                        .newGradientCollector()) {
            collector.backward(forward(model, batch.create(x, new Shape(x.length / 10, 10)), selection).sum());
            a.forEach((key, t) -> grads.put("a:" + key, t.getGradient().toFloatArray()));
            b.forEach((key, t) -> grads.put("b:" + key, t.getGradient().toFloatArray()));
        }
        return grads;
    }

    private static Float[] box(float[] values) {
        Float[] boxed = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }

    @Test
    void lolduAdaptersOfOneSlotShareTheirFactors() {
        try (ToyMlp model = new ToyMlp(38)) {
            PeftModel peft = threeAdapters(model, loldu("lin0"));
            LinearSlot lin0 = model.linearLayers().get("lin0");
            Object factors = ((SharedFactorsLayer) lin0.get("a")).sharedFactors();
            assertSame(factors, ((SharedFactorsLayer) lin0.get("b")).sharedFactors());
            assertSame(factors, ((SharedFactorsLayer) lin0.get("c")).sharedFactors());
            peft.addAdapter("rank3", LolduConfig.builder().setRank(3).optTargetModules("lin0").build());
            assertNotSame(factors, ((SharedFactorsLayer) lin0.get("rank3")).sharedFactors(), "another rank");
            // deleting tenants keeps the factors alive for the rest
            peft.deleteAdapter("a");
            peft.deleteAdapter("b");
            try (NDManager m = NDManager.newBaseManager()) {
                float[] c = run(model, m, AdapterSelection.of("c"));
                assertEquals(BATCH * 2, c.length);
                assertTrue(Float.isFinite(c[0]));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(SaveMode.class)
    void savedAdaptersLoadAndServeOneMixedBatch(SaveMode mode) throws IOException {
        float[] expected;
        try (ToyMlp model = new ToyMlp(39); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = threeAdapters(model, lolduWithHead());
            expected = run(model, m, AdapterSelection.perRow(ROWS));
            peft.save(tmp, mode);
        }
        try (ToyMlp model = new ToyMlp(39); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = PeftModel.load(model, tmp.resolve("a"), false);
            peft.loadAdapter(tmp.resolve("b"), "b", false);
            peft.loadAdapter(tmp.resolve("c"), "c", false);
            peft.deleteAdapter(PeftModel.DEFAULT_ADAPTER);
            peft.loadAdapter(tmp.resolve("a"), "a", false);
            LinearSlot lin0 = model.linearLayers().get("lin0");
            Object factorsA = ((SharedFactorsLayer) lin0.get("a")).sharedFactors();
            if (mode == SaveMode.PORTABLE) {
                // factors read from the files are each adapter's own: one gather per factor set (the fallback)
                assertNotSame(factorsA, ((SharedFactorsLayer) lin0.get("b")).sharedFactors());
            } else {
                assertSame(factorsA, ((SharedFactorsLayer) lin0.get("b")).sharedFactors());
            }
            // fp32 tensors round-trip bit for bit, and a row outside a gather adds exactly 0: the same bits
            assertArrayEquals(expected, run(model, m, AdapterSelection.perRow(ROWS)));
        }
    }

    @Test
    void badSelectionsAreRefusedWithWhatToDo() {
        try (ToyMlp model = new ToyMlp(40); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = threeAdapters(model, lolduWithHead());
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> run(model, m, AdapterSelection.perRow(List.of("a", "tenant-x", BASE, "b", "a", "a", "a",
                            "a"))));
            assertTrue(unknown.getMessage().contains("'tenant-x'") && unknown.getMessage().contains("[a, b, c]"),
                    unknown.getMessage());
            IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                    () -> run(model, m, AdapterSelection.perRow(List.of("a", "b", "c"))));
            assertTrue(rows.getMessage().contains("3 names but the batch has 8 rows"), rows.getMessage());
            assertThrows(IllegalArgumentException.class, () -> AdapterSelection.perRow(Arrays.asList("a", null)));
            assertThrows(IllegalArgumentException.class, () -> AdapterSelection.perRow(List.of()));
            IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class,
                    () -> peft.addAdapter(BASE, lolduWithHead()));
            assertTrue(reserved.getMessage().contains("reserved"), reserved.getMessage());
            peft.addAdapter("bitfit", BitFitConfig.builder().build());
            IllegalArgumentException inPlace = assertThrows(IllegalArgumentException.class,
                    () -> run(model, m, AdapterSelection.of("bitfit")));
            assertTrue(inPlace.getMessage().contains("in place") && inPlace.getMessage().contains("setAdapter"),
                    inPlace.getMessage());
            peft.deleteAdapter("bitfit");
            assertEquals(AdapterSelection.of("a"), AdapterSelection.perRow(List.of("a", "a")));
            assertEquals(AdapterSelection.base(), AdapterSelection.of(BASE));
        }
    }
}
