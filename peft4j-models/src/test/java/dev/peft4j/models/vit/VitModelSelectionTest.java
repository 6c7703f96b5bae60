package dev.peft4j.models.vit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.method.loldu.LolduInit;
import dev.peft4j.core.method.lora.LoraConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Per-call adapters on the tiny ViT: a batch mixing a LoLDU tenant, a LoRA tenant, a second LoLDU tenant and the
 * base, each with its own {@code classifier} head (the base with the model's), equals the single-tenant batches row
 * for row, and leaves the active adapter alone.
 */
class VitModelSelectionTest {

    private static final List<String> ROWS = List.of("loldu1", AdapterSelection.BASE, "lora", "loldu2", "lora",
            "loldu1");

    /**
     * Relative to max |logit| per row: the heads and the LoRA path run on the sub-batch of their rows (peft's
     * grouping), where a GEMM may sum its K = 32..64 terms in another order (~K·u ≈ 4e-6, u = 2^-24), carried through
     * two pre-LN blocks and the head; 1e-4 leaves a wide margin, as for the BERT classifier.
     */
    private static final double GROUPED_TOLERANCE = 1e-4;

    private static float[] images(int batch) {
        Random random = new Random(5);
        float[] values = new float[batch * 784];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static float[] logits(VitModel model, NDManager manager, AdapterSelection selection) {
        try (NDManager batch = manager.newSubManager()) {
            return model.forward(batch.create(images(ROWS.size()), new Shape(ROWS.size(), 1, 28, 28)), false,
                    selection).toFloatArray();
        }
    }

    private static void perturb(PeftModel peft, float shift) {
        peft.trainableParameters().values().forEach(t -> {
            float[] v = t.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = v[i] * (1.1f + shift) + shift * ((i % 5) - 2) * 0.05f;
            }
            boolean grad = t.hasGradient();
            t.setRequiresGradient(false); // PyTorch refuses in-place writes to a leaf that requires grad
            t.set(v);
            t.setRequiresGradient(grad);
        });
    }

    @Test
    void mixedTenantsWithTheirOwnHeadsMatchSingleTenantBatches() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(21, manager)) {
            LolduConfig loldu = LolduConfig.builder().setRank(8).optInit(LolduInit.NORMAL)
                    .optTargetModules("query", "value").optModulesToSave("classifier").build();
            PeftModel peft = Peft.wrap(model, loldu, "loldu1");
            perturb(peft, 0.3f);
            peft.addAdapter("lora", LoraConfig.builder().setRank(4).optAlpha(8).optTargetModules("query", "value")
                    .optModulesToSave("classifier").build());
            perturb(peft, -0.4f);
            peft.addAdapter("loldu2", loldu);
            perturb(peft, 0.6f);
            float[] mixed = logits(model, manager, AdapterSelection.perRow(ROWS));
            int labels = model.numLabels();
            for (int row = 0; row < ROWS.size(); row++) {
                float[] single = logits(model, manager, AdapterSelection.of(ROWS.get(row)));
                float[] expected = Arrays.copyOfRange(single, row * labels, (row + 1) * labels);
                float[] actual = Arrays.copyOfRange(mixed, row * labels, (row + 1) * labels);
                double scale = 0;
                double diff = 0;
                for (int i = 0; i < labels; i++) {
                    scale = Math.max(scale, Math.abs(expected[i]));
                    diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
                }
                assertTrue(diff <= GROUPED_TOLERANCE * scale, "row " + row + " (" + ROWS.get(row) + "): max diff "
                        + diff + " > " + GROUPED_TOLERANCE + " * " + scale);
            }
            assertFalse(Arrays.equals(logits(model, manager, AdapterSelection.of("loldu1")),
                    logits(model, manager, AdapterSelection.of("loldu2"))), "the tenants must differ");
            assertEquals("loldu2", peft.activeAdapter(), "explicit selections leave the active adapter alone");
            try (NDManager batch = manager.newSubManager()) {
                // the active-adapter forward is the single selection of the active adapter, bit for bit
                assertArrayEquals(logits(model, manager, AdapterSelection.of("loldu2")), model.forward(
                        batch.create(images(ROWS.size()), new Shape(ROWS.size(), 1, 28, 28)), false).toFloatArray());
            }
        }
    }
}
