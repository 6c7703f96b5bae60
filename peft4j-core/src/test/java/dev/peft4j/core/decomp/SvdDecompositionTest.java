package dev.peft4j.core.decomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SvdDecompositionTest {

    private static float[] random(int m, int n, long seed) {
        Random rng = new Random(seed);
        float[] w = new float[m * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rng.nextGaussian();
        }
        return w;
    }

    @Test
    void fullRankReconstructsTheWeightWithOrthonormalFactors() {
        for (int[] shape : new int[][] {{7, 5}, {5, 7}, {6, 6}}) {
            int m = shape[0];
            int n = shape[1];
            float[] w = random(m, n, 3);
            SvdDecomposition svd = SvdDecomposition.truncated("w", w, m, n, 99);
            int r = svd.rank();
            assertEquals(Math.min(m, n), r, "rank capped at min(m, n)");
            float[] u = svd.left();
            float[] s = svd.singularValues();
            float[] vt = svd.rightTransposed();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double sum = 0;
                    for (int k = 0; k < r; k++) {
                        sum += (double) u[i * r + k] * s[k] * vt[k * n + j];
                    }
                    // fp32 factors (u = 6e-8 each) summed over r <= 7 in double: ~3·r·u·|W| ≈ 1.3e-6 for N(0, 1)
                    // entries (|W| < ~4); commons-math in Java double, the same on every CPU. 1e-5 absolute ~ 2.5e-6 of max |W|
                    assertEquals(w[i * n + j], sum, 1e-5, "W[" + i + ", " + j + "]");
                }
            }
            for (int a = 0; a < r; a++) {
                assertTrue(a == 0 || s[a] <= s[a - 1], "descending");
                for (int b = 0; b < r; b++) {
                    double uu = 0;
                    double vv = 0;
                    for (int i = 0; i < m; i++) {
                        uu += (double) u[i * r + a] * u[i * r + b];
                    }
                    for (int j = 0; j < n; j++) {
                        vv += (double) vt[a * n + j] * vt[b * n + j];
                    }
                    // unit vectors of <= 7 fp32 entries: orthonormality off by ~2·7·u ≈ 8e-7 (relative to 1)
                    assertEquals(a == b ? 1 : 0, uu, 1e-5);
                    assertEquals(a == b ? 1 : 0, vv, 1e-5);
                }
            }
        }
    }

    @Test
    void truncationKeepsTheLargestTripletsAndIsReproducible() {
        float[] w = random(9, 6, 4);
        SvdDecomposition full = SvdDecomposition.truncated("w", w, 9, 6, 6);
        SvdDecomposition top = SvdDecomposition.truncated("w", w, 9, 6, 2);
        assertEquals(2, top.rank());
        assertEquals(full.singularValues()[0], top.singularValues()[0], 0f);
        assertEquals(full.singularValues()[1], top.singularValues()[1], 0f);
        assertEquals(java.util.Arrays.hashCode(top.left()),
                java.util.Arrays.hashCode(SvdDecomposition.truncated("w", w, 9, 6, 2).left()), "bit-reproducible");
    }

    @Test
    void nonFiniteWeightsAreRejectedWithTheirPosition() {
        float[] w = random(3, 3, 5);
        w[4] = Float.NaN;
        var e = assertThrows(IllegalArgumentException.class, () -> SvdDecomposition.truncated("lin0", w, 3, 3, 2));
        assertTrue(e.getMessage().contains("lin0") && e.getMessage().contains("weight[1, 1] is NaN"), e.getMessage());
    }
}
