package dev.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.method.loldu.LolduInit;
import dev.peft4j.core.method.lora.LoraConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Many tenants on one tiny random BERT classifier: each row of a batch picks its adapter and that adapter's own
 * {@code classifier} head ({@code modulesToSave}), the base picks the original head; a mixed batch equals the
 * single-adapter batches row for row, concurrent calls do not interfere, and the active-adapter state is untouched.
 */
class SequenceClassifierSelectionTest {

    private static final String BASE = AdapterSelection.BASE;
    private static final List<String> ROWS = List.of("a", BASE, "b", "c", "b", "a");
    /** Six texts of 7 tokens, three with padding: each row's attention is its own. */
    private static final long[][] IDS = {{1, 7, 8, 9, 2, 0, 0}, {1, 11, 12, 13, 14, 15, 2}, {1, 20, 21, 2, 0, 0, 0},
        {1, 30, 31, 32, 33, 34, 2}, {1, 40, 41, 42, 2, 0, 0}, {1, 50, 51, 52, 53, 54, 2}};
    private static final long[][] MASK = {{1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0, 0},
        {1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 1}};

    /**
     * Relative to max |logit|, for paths that run on a sub-batch (peft's grouping: LoRA layers, each head on the rows
     * that chose it): the same ops on the same row values, but a GEMM over fewer rows may block its K = 32 or 64
     * terms differently, ~K·u ≈ 4e-6 per GEMM (u = 2^-24), carried through LayerNorm, softmax and the head's
     * cancellation (logits ~1e-2 from terms ~1e-1). 1e-4 is the bound this encoder already meets across GEMM shapes
     * (see SequenceClassifierTest's padding test); measured here: ~1.3e-7 (a few ulp). The LoLDU-only gathered path
     * needs none: it is exact.
     */
    private static final double GROUPED_TOLERANCE = 1e-4;

    private static float[] logits(SequenceClassifier classifier, NDManager manager, AdapterSelection selection) {
        try (NDManager batch = manager.newSubManager()) {
            return classifier.forward(batch.create(IDS), batch.create(MASK), null, false, selection).toFloatArray();
        }
    }

    private static float[] activeLogits(SequenceClassifier classifier, NDManager manager) {
        try (NDManager batch = manager.newSubManager()) {
            return classifier.forward(batch.create(IDS), batch.create(MASK), null, false).toFloatArray();
        }
    }

    /** Moves the active adapter's trainable tensors (its head copy included) off their init, per shift. */
    private static void perturb(PeftModel peft, float shift) {
        peft.trainableParameters().values().forEach(t -> {
            float[] v = t.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = v[i] * (1.1f + shift) + shift * ((i % 7) - 3) * 0.05f;
            }
            boolean grad = t.hasGradient();
            t.setRequiresGradient(false); // PyTorch refuses in-place writes to a leaf that requires grad
            t.set(v);
            t.setRequiresGradient(grad);
        });
    }

    private static PeftModel threeTenants(SequenceClassifier classifier, AdapterConfig config) {
        PeftModel peft = Peft.wrap(classifier, config, "a");
        perturb(peft, 0.3f);
        peft.addAdapter("b", config);
        perturb(peft, -0.4f);
        peft.addAdapter("c", config);
        perturb(peft, 0.6f);
        return peft;
    }

    private static LolduConfig loldu(boolean withHead) {
        LolduConfig.Builder builder = LolduConfig.builder().setRank(8).optInit(LolduInit.NORMAL).optTrainSigma(true)
                .optTargetModules(TargetModules.allLinear());
        return withHead ? builder.optModulesToSave(SequenceClassifier.HEAD).build() : builder.build();
    }

    private static LoraConfig lora() {
        return LoraConfig.builder().setRank(4).optAlpha(8).optTargetModules("query", "value")
                .optModulesToSave(SequenceClassifier.HEAD).build();
    }

    /** Row r of the mixed batch against row r of the same batch run on row r's adapter alone. */
    private static void assertMixedEqualsSingles(SequenceClassifier classifier, NDManager manager, double tolerance) {
        float[] mixed = logits(classifier, manager, AdapterSelection.perRow(ROWS));
        int labels = classifier.numLabels();
        Map<String, float[]> single = new LinkedHashMap<>();
        for (String name : ROWS) {
            single.computeIfAbsent(name, n -> logits(classifier, manager, AdapterSelection.of(n)));
        }
        List<float[]> outputs = new ArrayList<>(single.values());
        for (int i = 0; i < outputs.size(); i++) {
            for (int j = i + 1; j < outputs.size(); j++) {
                assertFalse(Arrays.equals(outputs.get(i), outputs.get(j)), "two tenants gave the same logits");
            }
        }
        for (int row = 0; row < ROWS.size(); row++) {
            float[] expected = Arrays.copyOfRange(single.get(ROWS.get(row)), row * labels, (row + 1) * labels);
            float[] actual = Arrays.copyOfRange(mixed, row * labels, (row + 1) * labels);
            if (tolerance == 0) {
                assertArrayEquals(expected, actual, "row " + row + " (" + ROWS.get(row) + ") must be bit for bit");
            } else {
                double scale = 0;
                double diff = 0;
                for (int i = 0; i < labels; i++) {
                    scale = Math.max(scale, Math.abs(expected[i]));
                    diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
                }
                assertTrue(diff <= tolerance * scale, "row " + row + " (" + ROWS.get(row) + "): max diff " + diff
                        + " > " + tolerance + " * " + scale);
            }
        }
    }

    @Test
    void lolduTenantsShareOneGatheredBatchBitForBit() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(11, manager);
                SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 3, 42)) {
            threeTenants(classifier, loldu(false));
            // all 12 encoder slots gather the tenants' scale vectors; the shared head runs once for the batch
            assertMixedEqualsSingles(classifier, manager, 0);
        }
    }

    @Test
    void lolduTenantsWithTheirOwnHeads() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(12, manager);
                SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 3, 42)) {
            threeTenants(classifier, loldu(true));
            assertMixedEqualsSingles(classifier, manager, GROUPED_TOLERANCE);
        }
    }

    @Test
    void loraTenantsWithTheirOwnHeads() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(13, manager);
                SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 3, 42)) {
            threeTenants(classifier, lora());
            assertMixedEqualsSingles(classifier, manager, GROUPED_TOLERANCE);
        }
    }

    @Test
    void baseSelectionUsesTheOriginalHeadAndNothingIsSwappedIn() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(14, manager);
                SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 3, 42)) {
            float[] plain = activeLogits(classifier, manager);
            float[] head = classifier.head().weight().toFloatArray();
            PeftModel peft = threeTenants(classifier, loldu(true));
            assertArrayEquals(plain, logits(classifier, manager, AdapterSelection.base()), "the base, bit for bit");
            assertArrayEquals(head, classifier.head().weight().toFloatArray(), 0f, "the model's head is never written");
            assertTrue(peft.headParameters().values().stream().noneMatch(t -> t == classifier.head().weight()),
                    "the trained head is the adapter's copy");
            peft.setAdapter("b");
            // the explicit single selection is the active-adapter path's arithmetic: bit for bit
            assertArrayEquals(activeLogits(classifier, manager), logits(classifier, manager, AdapterSelection.of("b")));
        }
    }

    @Test
    void explicitSelectionsLeaveTheActiveAdapterStateAlone() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(15, manager);
                SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 3, 42)) {
            PeftModel peft = threeTenants(classifier, loldu(true));
            peft.setAdapter("a");
            float[] before = activeLogits(classifier, manager);
            Map<String, List<String>> activeBefore = new LinkedHashMap<>();
            classifier.linearLayers().forEach((n, s) -> activeBefore.put(n, List.copyOf(s.activeAdapters())));
            logits(classifier, manager, AdapterSelection.perRow(ROWS));
            logits(classifier, manager, AdapterSelection.of("c"));
            logits(classifier, manager, AdapterSelection.base());
            assertEquals("a", peft.activeAdapter());
            for (Map.Entry<String, LinearSlot> slot : classifier.linearLayers().entrySet()) {
                assertEquals(activeBefore.get(slot.getKey()), slot.getValue().activeAdapters(), slot.getKey());
            }
            assertArrayEquals(before, activeLogits(classifier, manager));
        }
    }

    @Test
    void twoThreadsServeTwoTenantMixesAtOnce() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(16, manager);
                SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 3, 42)) {
            PeftModel peft = threeTenants(classifier, loldu(true));
            peft.addAdapter("lora", lora());
            perturb(peft, -0.2f);
            AdapterSelection mixed = AdapterSelection.perRow(List.of("a", "lora", BASE, "c", "b", "lora"));
            AdapterSelection single = AdapterSelection.of("b");
            float[] expectedMixed = logits(classifier, manager, mixed);
            float[] expectedSingle = logits(classifier, manager, single);
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<?>> runs = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    int offset = t;
                    runs.add(pool.submit(() -> {
                        for (int i = 0; i < 60; i++) {
                            boolean useMixed = (i + offset) % 2 == 0;
                            // deterministic kernels on equal inputs: exactly the single-threaded logits
                            assertArrayEquals(useMixed ? expectedMixed : expectedSingle,
                                    logits(classifier, manager, useMixed ? mixed : single), "iteration " + i);
                        }
                        return null;
                    }));
                }
                for (Future<?> run : runs) {
                    run.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aSelectionNamingAMissingTenantListsTheLoadedOnes() {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = BertModel.randomTiny(17, manager);
                SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 3, 42)) {
            threeTenants(classifier, lora());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> logits(classifier, manager, AdapterSelection.of("tenant-42")));
            assertTrue(e.getMessage().contains("'tenant-42'") && e.getMessage().contains("[a, b, c]"), e.getMessage());
            IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                    () -> logits(classifier, manager, AdapterSelection.perRow(List.of("a", "b"))));
            assertTrue(rows.getMessage().contains("2 names but the batch has 6 rows"), rows.getMessage());
            // the encoder alone knows the same adapters (minus the head, which it does not have)
            try (NDManager batch = manager.newSubManager()) {
                NDArray hidden = encoder.forward(batch.create(IDS), batch.create(MASK), null, false,
                        AdapterSelection.perRow(ROWS));
                assertArrayEquals(new long[] {6, 7, 32}, hidden.getShape().getShape());
            }
        }
    }
}
