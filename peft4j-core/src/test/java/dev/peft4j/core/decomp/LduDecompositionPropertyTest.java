package dev.peft4j.core.decomp;

import static dev.peft4j.core.decomp.TensorAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * Properties on random Gaussian weights (no pivot ties), against commons-math's full {@link LUDecomposition}, which
 * also picks the first largest |value| in the current row order. Its LU needs a square matrix: a tall weight gets
 * random extra columns (they cannot change the first n elimination steps), a wide one gets zero rows (never chosen
 * while a nonzero entry remains; its singularity threshold is set to 0 so it finishes).
 */
class LduDecompositionPropertyTest {

    // fp32 rounding of factors computed in double (u = 6e-8) plus, for W, sums of <= 40 such products (~40·u =
    // 2.4e-6 of max |W|, floor 1 ~ |W| for N(0, 1) entries); pure Java double, so the same on every CPU. 1e-5
    private static final double TOLERANCE = 1e-5;

    @Property(tries = 300)
    void truncatedEqualsFullLuPrefix(@ForAll @IntRange(min = 1, max = 40) int m,
            @ForAll @IntRange(min = 1, max = 40) int n, @ForAll @IntRange(min = 1, max = 40) int rankSeed,
            @ForAll long seed) {
        int r = 1 + (rankSeed - 1) % Math.min(m, n);
        float[] w = gaussian(m, n, seed);
        LduDecomposition ldu = LduDecomposition.truncated("prop", w, m, n, r);
        FullLu full = FullLu.of(w, m, n, seed);

        double[] lower = new double[m * r];
        double[] upper = new double[r * n];
        double[] d = new double[r];
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < r; k++) {
                lower[i * r + k] = full.l.getEntry(full.position[i], k);
            }
        }
        for (int k = 0; k < r; k++) {
            d[k] = full.u.getEntry(k, k);
            for (int c = 0; c < n; c++) {
                upper[k * n + c] = full.u.getEntry(k, c) / d[k];
            }
        }
        assertClose("Lp", lower, TensorAsserts.toDouble(ldu.lowerPermuted()), TOLERANCE, 1);
        assertClose("d", d, TensorAsserts.toDouble(ldu.pivots()), TOLERANCE, 1);
        assertClose("U'", upper, TensorAsserts.toDouble(ldu.unitUpper()), TOLERANCE, 1);
        int[] pivot = ldu.pivot();
        for (int i = 0; i < m; i++) {
            if (full.position[i] < r) {
                assertEquals(full.position[i], pivot[i], "step at which row " + i + " is eliminated");
            } else {
                assertTrue(pivot[i] >= r, "row " + i + " is not a pivot row but sits at " + pivot[i]);
            }
        }
    }

    @Property(tries = 300)
    void factorsPlusSchurComplementRebuildTheWeight(@ForAll @IntRange(min = 1, max = 40) int m,
            @ForAll @IntRange(min = 1, max = 40) int n, @ForAll @IntRange(min = 1, max = 40) int rankSeed,
            @ForAll long seed) {
        int r = 1 + (rankSeed - 1) % Math.min(m, n);
        float[] w = gaussian(m, n, seed);
        LduDecomposition ldu = LduDecomposition.truncated("prop", w, m, n, r);
        double[] schur = FullLu.of(w, m, n, seed).schurComplement(m, n, r); // [m, n]

        double[] product = TensorAsserts.product(ldu);
        double[] rebuilt = new double[m * n];
        for (int i = 0; i < m * n; i++) {
            rebuilt[i] = product[i] + schur[i];
        }
        assertClose("Lp diag(d) U' + S", TensorAsserts.toDouble(w), rebuilt, TOLERANCE, 1);
        float[] residual = SchurResidual.of(ldu, w, ldu.pivots(), 1f);
        assertClose("residual(W, d, 1) = S", schur, TensorAsserts.toDouble(residual), TOLERANCE, maxAbs(w));
    }

    @Property(tries = 300)
    void factorsHaveTheirShapeAndTruncationIsAPrefix(@ForAll @IntRange(min = 1, max = 40) int m,
            @ForAll @IntRange(min = 1, max = 40) int n, @ForAll @IntRange(min = 1, max = 40) int rankSeed,
            @ForAll long seed) {
        int r = 1 + (rankSeed - 1) % Math.min(m, n);
        float[] w = gaussian(m, n, seed);
        LduDecomposition ldu = LduDecomposition.truncated("prop", w, m, n, r);
        float[] lower = ldu.lowerPermuted();
        float[] upper = ldu.unitUpper();
        int[] pivot = ldu.pivot();

        boolean[] seen = new boolean[m];
        for (int i = 0; i < m; i++) {
            assertTrue(pivot[i] >= 0 && pivot[i] < m && !seen[pivot[i]], "pivot is not a permutation");
            seen[pivot[i]] = true;
        }
        for (int k = 0; k < r; k++) {
            for (int c = 0; c <= k && c < n; c++) {
                assertEquals(c == k ? 1f : 0f, upper[k * n + c], "U'[" + k + ", " + c + "]");
            }
        }
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < r; k++) {
                float l = lower[i * r + k];
                if (pivot[i] == k) {
                    assertEquals(1f, l, "Lp is 1 at the row eliminated at step " + k);
                } else if (pivot[i] < k) {
                    assertEquals(0f, l, "Lp is 0 at rows eliminated before step " + k);
                } else {
                    assertTrue(Math.abs(l) <= 1f, "partial pivoting bounds |Lp| by 1, found " + l);
                }
            }
        }
        LduDecomposition full = LduDecomposition.truncated("prop", w, m, n, Math.min(m, n));
        for (int k = 0; k < r; k++) {
            assertEquals(full.pivots()[k], ldu.pivots()[k], "pivot " + k + " bit for bit");
        }
        float[] fullUpper = full.unitUpper();
        assertArrayEquals(Arrays.copyOf(fullUpper, r * n), upper, "U' rows bit for bit");
        float[] fullLower = full.lowerPermuted();
        int k0 = Math.min(m, n);
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < r; k++) {
                assertEquals(fullLower[i * k0 + k], lower[i * r + k], "Lp[" + i + ", " + k + "] bit for bit");
            }
        }
    }

    static float[] gaussian(int m, int n, long seed) {
        Random random = new Random(seed);
        float[] w = new float[m * n];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        return w;
    }

    private static double maxAbs(float[] values) {
        double max = 0;
        for (float v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    /** commons-math's full LU of the weight padded to square; {@code position[i]} = step that eliminated row i. */
    private record FullLu(RealMatrix l, RealMatrix u, int[] position) {

        static FullLu of(float[] w, int m, int n, long seed) {
            int size = Math.max(m, n);
            double[][] a = new double[size][size];
            Random pad = new Random(~seed);
            for (int i = 0; i < size; i++) {
                for (int c = 0; c < size; c++) {
                    if (i < m && c < n) {
                        a[i][c] = w[i * n + c];
                    } else if (i < m) {
                        a[i][c] = pad.nextGaussian(); // extra columns of a tall weight
                    }
                }
            }
            LUDecomposition lu = new LUDecomposition(new Array2DRowRealMatrix(a, false), 0.0);
            int[] order = lu.getPivot(); // (P A)[k] = A[order[k]]
            int[] position = new int[size];
            for (int k = 0; k < size; k++) {
                position[order[k]] = k;
            }
            return new FullLu(lu.getL(), lu.getU(), position);
        }

        /** {@code S = P^T L[:, r:] U[r:, :n]} in the original row order, [m, n]. */
        double[] schurComplement(int m, int n, int r) {
            int steps = Math.min(m, n); // steps past min(m, n) only touch the padding
            double[] schur = new double[m * n];
            for (int i = 0; i < m; i++) {
                for (int k = r; k < steps; k++) {
                    double a = l.getEntry(position[i], k);
                    for (int c = 0; c < n; c++) {
                        schur[i * n + c] += a * u.getEntry(k, c);
                    }
                }
            }
            return schur;
        }
    }
}
