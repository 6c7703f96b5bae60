package dev.peft4j.core.method.melora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterRegistry;
import dev.peft4j.core.adapter.ConfigFields;
import dev.peft4j.core.adapter.LayerContext;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.adapter.LowRankExportable;
import dev.peft4j.core.nd.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The block structure itself, against a plain loop over the mini LoRAs in double precision. */
class MeloraLayerTest {

    static final int M = 6;
    static final int N = 9;
    static final int COUNT = 3;
    static final int R = 2;

    private static float[] gaussian(Random rng, int size) {
        float[] values = new float[size];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rng.nextGaussian();
        }
        return values;
    }

    private static MeloraConfig config(int melCount) {
        return MeloraConfig.builder().setRank(R).optMelCount(melCount).optAlpha(6).build(); // scale 3
    }

    /** The layer for W [6, 9] with three mini LoRAs, B set to random values (it starts at zero). */
    private static MeloraLayer trainedLayer(NDArray w, float[] a, float[] b) {
        MeloraLayer layer = new MeloraLayer(w, a, config(COUNT));
        Tensors.overwrite(layer.trainableParameters().get(MeloraLayer.B), b);
        return layer;
    }

    /** {@code scale·B_i A_i x_i} written as the paper's sum over mini LoRAs, in double. */
    private static double[] loopReference(float[] a, float[] b, float[] x, int tokens) {
        int blockIn = N / COUNT;
        int blockOut = M / COUNT;
        double[] out = new double[tokens * M];
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < COUNT; i++) {
                double[] down = new double[R];
                for (int s = 0; s < R; s++) {
                    for (int q = 0; q < blockIn; q++) {
                        down[s] += a[(i * R + s) * blockIn + q] * x[t * N + i * blockIn + q];
                    }
                }
                for (int p = 0; p < blockOut; p++) {
                    for (int s = 0; s < R; s++) {
                        out[t * M + i * blockOut + p] += 3.0 * b[(i * blockOut + p) * R + s] * down[s];
                    }
                }
            }
        }
        return out;
    }

    @Test
    void forwardIsEachMiniLoraOnItsOwnBlockOfFeatures() {
        Random rng = new Random(11);
        float[] a = gaussian(rng, COUNT * R * (N / COUNT));
        float[] b = gaussian(rng, COUNT * (M / COUNT) * R);
        int tokens = 2 * 4;
        float[] x = gaussian(rng, tokens * N);
        double[] expected = loopReference(a, b, x, tokens);
        try (NDManager manager = NDManager.newBaseManager();
                MeloraLayer layer = trainedLayer(manager.zeros(new Shape(M, N)), a, b)) {
            NDArray input = manager.create(x, new Shape(2, 4, N)); // [batch, seq, n]: leading dims kept
            NDArray out = layer.forward(input, manager.zeros(new Shape(2, 4, M)));
            assertEquals(new Shape(2, 4, M), out.getShape());
            float[] actual = out.toFloatArray();
            for (int i = 0; i < actual.length; i++) {
                // fp32 sums of 3 + 2 products of O(1) values, scaled by 3: ~1e-6 of rounding; 1e-5 leaves a margin
                assertEquals(expected[i], actual[i], 1e-5 * Math.max(1, Math.abs(expected[i])), "y[" + i + "]");
            }
        }
    }

    @Test
    void mergedWeightChangesOnlyTheDiagonalBlocksAndExportsAsOneLoraOfRankCountTimesR() {
        Random rng = new Random(12);
        float[] a = gaussian(rng, COUNT * R * (N / COUNT));
        float[] b = gaussian(rng, COUNT * (M / COUNT) * R);
        float[] w = gaussian(rng, M * N);
        try (NDManager manager = NDManager.newBaseManager();
                MeloraLayer layer = trainedLayer(manager.create(w, new Shape(M, N)), a, b)) {
            float[] merged = layer.mergedWeight().toFloatArray();
            float[] identity = new float[N * N];
            for (int i = 0; i < N; i++) {
                identity[i * N + i] = 1;
            }
            double[] delta = loopReference(a, b, identity, N); // row t = the update applied to e_t: column t of it
            for (int row = 0; row < M; row++) {
                for (int col = 0; col < N; col++) {
                    float got = merged[row * N + col];
                    if (row / (M / COUNT) != col / (N / COUNT)) {
                        assertEquals(w[row * N + col], got, 0f, "off the diagonal blocks W is kept exactly");
                    } else {
                        // W + 3 (a sum of 2 products of N(0, 1) values), all below ~30: fp32 rounding is ~1e-6 of
                        // that; 1e-4 absolute leaves a wide margin
                        assertEquals(w[row * N + col] + delta[col * M + row], got, 1e-4, "W'[" + row + ", " + col
                                + "]");
                    }
                }
            }
            try (LowRankExportable.LoraFactors factors = layer.loraFactors()) {
                assertEquals(new Shape(COUNT * R, N), factors.a().getShape());
                assertEquals(new Shape(M, COUNT * R), factors.b().getShape());
                float[] product = factors.b().matMul(factors.a()).toFloatArray();
                for (int i = 0; i < product.length; i++) {
                    // the same 2-term sums (every other term an exact zero), minus W again: a few ulp of ~30
                    assertEquals(merged[i] - w[i], product[i], 1e-4, "B' A' [" + i + "]");
                }
            }
        }
    }

    @Test
    void atInitTheUpdateIsExactlyZero() {
        MeloraMethod method = new MeloraMethod();
        try (NDManager manager = NDManager.newBaseManager()) {
            LinearSlot slot = new LinearSlot("proj", manager.create(gaussian(new Random(3), M * N), new Shape(M, N)),
                    null);
            try (MeloraLayer layer = (MeloraLayer) method.createLayer(config(COUNT), slot,
                    new LayerContext("default", 0, new ArrayList<>(), true))) {
                NDArray baseOut = manager.create(gaussian(new Random(4), 5 * M), new Shape(5, M));
                float[] expected = baseOut.toFloatArray();
                NDArray x = manager.create(gaussian(new Random(5), 5 * N), new Shape(5, N));
                assertArrayEquals(expected, layer.forward(x, baseOut).toFloatArray(), "B = 0: base output bit for bit");
                float[] a = layer.trainableParameters().get(MeloraLayer.A).toFloatArray();
                double bound = 1 / Math.sqrt(N / COUNT); // kaiming-uniform on each [r, n/c] block, as peft's lora_A
                for (float v : a) {
                    assertTrue(Math.abs(v) <= bound, "A entry " + v + " within 1/sqrt(n/c) = " + bound);
                }
            }
        }
    }

    @Test
    void aCountThatDoesNotDivideTheLayerIsRefusedByName() {
        MeloraMethod method = new MeloraMethod();
        try (NDManager manager = NDManager.newBaseManager()) {
            LinearSlot slot = new LinearSlot("encoder.layer.0.attention.self.query", manager.zeros(new Shape(M, N)),
                    null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> method.createLayer(config(2), slot, new LayerContext("default", 0, new ArrayList<>(), true)));
            assertEquals("MELoRA mel_count 2 does not divide the dimensions of encoder.layer.0.attention.self.query "
                    + "[6x9] (out x in): each of the 2 mini LoRAs takes an equal block of the input and of the output "
                    + "features. Choose a mel_count dividing both 6 and 9 (e.g. 3), or exclude that layer",
                    e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> method.stateShapes(config(2), slot, false),
                    "a saved adapter is checked the same way before its tensors are read");
        }
    }

    @Test
    void theConfigRoundTripsThroughJsonAndTheReferenceListSpellingIsExplained() {
        MeloraConfig config = MeloraConfig.builder().setRank(8).optMelCount(4).optAlpha(16).optDropout(0.05f)
                .optTargetModules("query", "value").optModulesToSave("classifier").build();
        Map<String, Object> json = new java.util.LinkedHashMap<>(config.methodFields());
        json.put("target_modules", List.of("query", "value"));
        json.put("modules_to_save", List.of("classifier"));
        assertEquals(config, AdapterRegistry.defaultRegistry().byPeftType("MELORA").configFromJson(json));
        json.put("r", List.of(8, 8, 8, 8));
        ConfigFields.FieldException e = assertThrows(ConfigFields.FieldException.class,
                () -> new MeloraMethod().configFromJson(json));
        assertTrue(e.getMessage().contains("write \"r\": 8, \"mel_count\": 4"), e.getMessage());
    }
}
