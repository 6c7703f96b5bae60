package dev.peft4j.core.method.fourierft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FourierFtLayerTest {

    @Test
    void deltaIsTheRealPartOfTheInverseDft2OfTheScatteredSpectrum() {
        int m = 6;
        int n = 5;
        int f = 7;
        float scaling = 150f;
        long[] positions = FourierFtMethod.distinctPositions((long) m * n, f, new Random(777));
        int[] rows = new int[f];
        int[] cols = new int[f];
        float[] spectrum = new float[f];
        Random rng = new Random(1);
        for (int j = 0; j < f; j++) {
            rows[j] = (int) (positions[j] / n);
            cols[j] = (int) (positions[j] % n);
            spectrum[j] = (float) rng.nextGaussian();
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = manager.zeros(new Shape(m, n));
            try (FourierFtLayer layer = new FourierFtLayer(w, rows, cols, scaling, spectrum)) {
                float[] delta = layer.mergedWeight().toFloatArray();
                // numpy's ifft2: x[p, q] = 1/(m n) sum_{k, l} X[k, l] exp(+2 pi i (p k / m + q l / n))
                for (int p = 0; p < m; p++) {
                    for (int q = 0; q < n; q++) {
                        double real = 0;
                        double terms = 0; // sum of |terms| the fp32 GEMM adds: |s_j| (|cos a cos b| + |sin a sin b|)
                        for (int j = 0; j < f; j++) {
                            real += spectrum[j] * Math.cos(2 * Math.PI * ((double) p * rows[j] / m + (double) q * cols[j] / n));
                            double a = 2 * Math.PI * ((long) p * rows[j] % m) / m;
                            double c = 2 * Math.PI * ((long) q * cols[j] % n) / n;
                            terms += Math.abs(spectrum[j]) * (Math.abs(Math.cos(a) * Math.cos(c)) + Math.abs(Math.sin(a) * Math.sin(c)));
                        }
                        double scale = scaling / (m * n);
                        // fp32 [m, 2f] x [2f, n] GEMM of 2f = 14 terms on fp32-rounded bases: worst ~(2f + 3)·u ≈ 1e-6
                        // of the summed |terms|; bound 1e-5 of them (was 1e-4 absolute, ~2e-6 of the largest sums)
                        assertEquals(scale * real, delta[p * n + q], 1e-5 * scale * terms, "delta[" + p + ", " + q + "]");
                    }
                }
            }
        }
    }

    @Test
    void positionsAreDistinctAndInRange() {
        long[] picked = FourierFtMethod.distinctPositions(50, 50, new Random(777));
        Set<Long> seen = new HashSet<>();
        for (long p : picked) {
            assertTrue(p >= 0 && p < 50 && seen.add(p), "position " + p);
        }
        assertEquals(50, seen.size(), "a full draw is a permutation");
    }
}
