package dev.peft4j.core.method.adalora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The allocator on two layers [m, n] = [3, 2] and [2, 4] at init_r 3, every tensor entry 1 and gradients chosen per
 * triplet: then |p · grad| is the gradient, constant along each triplet's row of A, column of B and entry of E.
 */
class RankAllocatorTest {

    private static final float BETA = 0.85f;
    private NDManager manager;
    private Map<String, AdaLoraLayer> layers;

    @BeforeEach
    void layers() {
        manager = NDManager.newBaseManager();
        AdaLoraConfig config = AdaLoraConfig.builder().optInitR(3).optTargetR(1).build();
        layers = new LinkedHashMap<>();
        layers.put("first", layer(3, 2, config));
        layers.put("second", layer(2, 4, config));
    }

    @AfterEach
    void close() {
        layers.values().forEach(AdaLoraLayer::close);
        manager.close();
    }

    private AdaLoraLayer layer(int m, int n, AdaLoraConfig config) {
        NDArray weight = manager.zeros(new Shape(m, n));
        return new AdaLoraLayer(weight, new AdaLoraLayer.Factors(3, ones(3 * n), ones(3), ones(m * 3)), config, null);
    }

    private static float[] ones(int size) {
        float[] values = new float[size];
        Arrays.fill(values, 1f);
        return values;
    }

    /** Sets every gradient: triplet i's row of A gets {@code a[i]}, its column of B {@code b[i]}, its E {@code e[i]}. */
    private void gradients(String path, float[] a, float[] b, float[] e) {
        AdaLoraLayer layer = layers.get(path);
        int n = (int) layer.a().getShape().get(1);
        int m = (int) layer.b().getShape().get(0);
        float[] gradA = new float[3 * n];
        float[] gradB = new float[m * 3];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < n; j++) {
                gradA[i * n + j] = a[i];
            }
            for (int j = 0; j < m; j++) {
                gradB[j * 3 + i] = b[i];
            }
        }
        // the gradient of sum(p ⊙ G) is G
        try (NDManager batch = manager.newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = layer.a().mul(batch.create(gradA, layer.a().getShape())).sum()
                    .add(layer.b().mul(batch.create(gradB, layer.b().getShape())).sum())
                    .add(layer.e().mul(batch.create(e, layer.e().getShape())).sum());
            collector.backward(loss);
        }
    }

    private void clearGradients() {
        layers.values().forEach(layer -> layer.trainableParameters().values().forEach(t -> {
            try (NDArray g = t.getGradient()) {
                g.muli(0);
            }
        }));
    }

    @Test
    void aTripletScoresItsEPlusTheMeansOfItsRowOfAAndColumnOfB() {
        gradients("first", new float[] {1, 2, 3}, new float[] {0, 1, 2}, new float[] {2, 0, 1});
        gradients("second", new float[] {3, 3, 0}, new float[] {1, 0, 0}, new float[] {0, 4, 1});
        RankAllocator allocator = new RankAllocator(layers, BETA, BETA);
        allocator.updateImportance();
        // from zero averages, one update: Ī = (1 - β) I, Ū = (1 - β) |I - Ī| = (1 - β) β I, so s = (1 - β)² β I²
        double c = (1 - BETA) * (1 - BETA) * BETA;
        Map<String, float[]> scores = allocator.tripletScores();
        double[] first = {c * (4 + 1 + 0), c * (0 + 4 + 1), c * (1 + 9 + 4)};
        double[] second = {c * (0 + 9 + 1), c * (16 + 9 + 0), c * (1 + 0 + 0)};
        for (int i = 0; i < 3; i++) {
            // each score is a few fp32 products and sums of exact small integers times c: 1e-6 relative is ~10 ulp
            assertEquals(first[i], scores.get("first")[i], 1e-6 * first[i], "first, triplet " + i);
            assertEquals(second[i], scores.get("second")[i], 1e-6 * second[i], "second, triplet " + i);
        }
    }

    @Test
    void theAveragesFollowTheirRecursionsOverTwoUpdates() {
        gradients("first", new float[] {1, 1, 1}, new float[] {1, 1, 1}, new float[] {2, 2, 2});
        gradients("second", new float[] {1, 1, 1}, new float[] {1, 1, 1}, new float[] {1, 1, 1});
        RankAllocator allocator = new RankAllocator(layers, BETA, BETA);
        allocator.updateImportance();
        clearGradients();
        gradients("first", new float[] {1, 1, 1}, new float[] {1, 1, 1}, new float[] {4, 4, 4});
        gradients("second", new float[] {1, 1, 1}, new float[] {1, 1, 1}, new float[] {1, 1, 1});
        allocator.updateImportance();
        // E of "first": I = 2 then 4. Ī1 = 0.3, Ū1 = 0.15 · 1.7 = 0.255; Ī2 = 0.85 · 0.3 + 0.15 · 4 = 0.855,
        // Ū2 = 0.85 · 0.255 + 0.15 · |4 - 0.855| = 0.68850
        float[] smoothed = allocator.state().get("ema_ipt.first.lora_E");
        float[] spread = allocator.state().get("ema_unc.first.lora_E");
        for (int i = 0; i < 3; i++) {
            // four fp32 operations on values of order 1: 1e-6 is under ten ulp
            assertEquals(0.855, smoothed[i], 1e-6, "Ī of E[" + i + "]");
            assertEquals(0.6885, spread[i], 1e-6, "Ū of E[" + i + "]");
        }
    }

    @Test
    void maskingKeepsExactlyTheBudgetsCountOfTheBestTriplets() {
        gradients("first", new float[] {1, 2, 3}, new float[] {0, 1, 2}, new float[] {2, 0, 1});
        gradients("second", new float[] {3, 3, 0}, new float[] {1, 0, 0}, new float[] {0, 4, 1});
        RankAllocator allocator = new RankAllocator(layers, BETA, BETA);
        allocator.updateImportance();
        assertEquals(6, allocator.initialBudget());
        // scores ∝ first {5, 5, 14}, second {10, 25, 1}: a budget of 3 keeps 25, 14, 10; "first" ties at 5 are masked
        // together, as peft's "at or below the k-th value"
        Map<String, boolean[]> pattern = allocator.maskToBudget(3);
        assertArrayEquals(new boolean[] {false, false, true}, pattern.get("first"));
        assertArrayEquals(new boolean[] {true, true, false}, pattern.get("second"));
        int kept = 0;
        for (Map.Entry<String, boolean[]> entry : pattern.entrySet()) {
            float[] e = layers.get(entry.getKey()).e().toFloatArray();
            for (int i = 0; i < 3; i++) {
                assertEquals(entry.getValue()[i] ? 1f : 0f, e[i], 0f, entry.getKey() + " E[" + i + "]");
                kept += entry.getValue()[i] ? 1 : 0;
            }
            assertArrayEquals(entry.getValue(), layers.get(entry.getKey()).keptTriplets(), "recorded in the layer");
        }
        assertEquals(3, kept, "the budget's count of triplets");
        // a budget of 4 masks two: the tie at 5 is the 2nd smallest and both entries go, so 3 remain (peft's rule)
        assertEquals(3, count(allocator.maskToBudget(4)));
        // a budget of 5 masks the one lowest (1 in "second") and keeps exactly 5
        assertEquals(5, count(allocator.maskToBudget(5)));
    }

    private static int count(Map<String, boolean[]> pattern) {
        return pattern.values().stream().mapToInt(AdaLoraLayer::count).sum();
    }

    @Test
    void theFinalPatternMasksWithoutScores() {
        RankAllocator allocator = new RankAllocator(layers, BETA, BETA);
        Map<String, boolean[]> pattern = new LinkedHashMap<>();
        pattern.put("first", new boolean[] {true, false, true});
        pattern.put("second", new boolean[] {false, false, true});
        allocator.maskWith(pattern);
        assertArrayEquals(new float[] {1, 0, 1}, layers.get("first").e().toFloatArray(), 0f);
        assertArrayEquals(new float[] {0, 0, 1}, layers.get("second").e().toFloatArray(), 0f);
        assertFalse(allocator.state().containsKey("ema_ipt.first.lora_E"), "no averages before an update");
        assertTrue(Arrays.equals(new boolean[] {false, false, true}, layers.get("second").keptTriplets()));
    }
}
