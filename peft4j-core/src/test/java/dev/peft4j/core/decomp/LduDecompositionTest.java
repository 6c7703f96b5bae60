package dev.peft4j.core.decomp;

import static dev.peft4j.core.decomp.TensorAsserts.assertAllFinite;
import static dev.peft4j.core.decomp.TensorAsserts.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Rank-deficient weights, tiny pivots, rank capping and the error messages. */
class LduDecompositionTest {

    // as in LduDecompositionPropertyTest: fp32 factors from double elimination, k <= 12 terms (~12·u ≈ 7e-7 of
    // max |W|, floor 1 ~ |W| for N(0, 1) entries); pure Java double, the same on every CPU. 1e-5
    private static final double TOLERANCE = 1e-5;

    @Test
    void zeroColumnGivesAZeroPivotAndKeepsThatRowInTheResidual() {
        int m = 12;
        int n = 10;
        float[] w = LduDecompositionPropertyTest.gaussian(m, n, 7);
        for (int i = 0; i < m; i++) {
            w[i * n + 3] = 0f;
        }
        LduDecomposition ldu = LduDecomposition.truncated("zero.column", w, m, n, n);

        assertFiniteFactors(ldu);
        float[] d = ldu.pivots();
        assertEquals(0f, d[3], "the zero column gives a zero pivot");
        for (int k = 0; k < n; k++) {
            assertTrue(k == 3 || Math.abs(d[k]) > 1e-3, "pivot " + k + " = " + d[k]);
        }
        int[] pivot = ldu.pivot();
        float[] lower = ldu.lowerPermuted();
        float[] upper = ldu.unitUpper();
        for (int i = 0; i < m; i++) {
            assertEquals(pivot[i] == 3 ? 1f : 0f, lower[i * n + 3], "column 3 of Lp is e at the pivot row only");
        }
        for (int c = 0; c < n; c++) {
            assertEquals(c == 3 ? 1f : 0f, upper[3 * n + c], "row 3 of U' is e_3");
        }
        float[] residual = assertRebuilds(ldu, w);
        for (int i = 0; i < m; i++) {
            for (int c = 0; c < n; c++) {
                if (pivot[i] != 3 || c <= 3) {
                    // a zero Schur entry from fp32 factors: ~k·u·max|W| ≈ 1e-6; absolute 1e-5 = relative to max|W| ~ 1-3 here
                    assertEquals(0.0, residual[i * n + c], 1e-5, "Schur complement at [" + i + ", " + c + "]");
                }
            }
        }
    }

    @Test
    void repeatedRowEliminatesToAnExactZeroPivot() {
        int m = 8;
        int n = 8;
        float[] w = LduDecompositionPropertyTest.gaussian(m, n, 11);
        System.arraycopy(w, 2 * n, w, 5 * n, n);
        LduDecomposition ldu = LduDecomposition.truncated("repeated.row", w, m, n, n);

        assertFiniteFactors(ldu);
        assertEquals(0f, ldu.pivots()[n - 1], "rank 7: the copy is eliminated exactly, last pivot is zero");
        float[] residual = assertRebuilds(ldu, w);
        assertClose("Schur complement of a rank-7 weight", new double[m * n], TensorAsserts.toDouble(residual),
                TOLERANCE, 1);
    }

    @Test
    void allZeroWeightGivesIdentityFactorsAndZeroPivots() {
        int m = 5;
        int n = 4;
        LduDecomposition ldu = LduDecomposition.truncated("all.zero", new float[m * n], m, n, 3);

        assertArrayEquals(new float[3], ldu.pivots());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, ldu.pivot(), "no row swaps when every column is zero");
        float[] lower = ldu.lowerPermuted();
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < 3; k++) {
                assertEquals(i == k ? 1f : 0f, lower[i * 3 + k], "Lp[" + i + ", " + k + "]");
            }
        }
        float[] upper = ldu.unitUpper();
        for (int k = 0; k < 3; k++) {
            for (int c = 0; c < n; c++) {
                assertEquals(c == k ? 1f : 0f, upper[k * n + c], "U'[" + k + ", " + c + "]");
            }
        }
        assertArrayEquals(new float[m * n], SchurResidual.of(ldu, new float[m * n], ldu.pivots(), 1f), "Schur complement");
        float[] expected = new float[m * n];
        expected[0] = -4f; // -scale * c[k] at [k, k]: Lp and U' are identities here
        expected[n + 1] = -8f;
        expected[2 * n + 2] = -12f;
        assertArrayEquals(expected, SchurResidual.of(ldu, new float[m * n], new float[] {1f, 2f, 3f}, 4f));
    }

    @Test
    void pivotTooSmallForFp32IsTreatedAsZero() {
        float[] w = {Float.MIN_VALUE, 1e38f, 0f, 1f}; // dividing row 0 by its pivot overflows fp32
        LduDecomposition ldu = LduDecomposition.truncated("tiny.pivot", w, 2, 2, 2);

        assertFiniteFactors(ldu);
        assertArrayEquals(new float[] {0f, 1f}, ldu.pivots());
        assertArrayEquals(new float[] {1f, 0f, 0f, 1f}, ldu.unitUpper());
        assertArrayEquals(new float[] {Float.MIN_VALUE, 1e38f, 0f, 0f}, SchurResidual.of(ldu, w, ldu.pivots(), 1f),
                "row 0 stays in the residual, row 1 is eliminated");
    }

    @Test
    void tiesPickTheFirstRowLikeLapack() {
        float[] w = {1f, 2f, -3f, 4f, 3f, 5f}; // [3, 2]: |-3| and |3| tie, LAPACK takes row 1
        LduDecomposition ldu = LduDecomposition.truncated("tie", w, 3, 2, 1);

        assertArrayEquals(new float[] {-3f}, ldu.pivots());
        assertEquals(0, ldu.pivot()[1]);
        assertArrayEquals(new float[] {-1f / 3f, 1f, -1f}, ldu.lowerPermuted());
        assertArrayEquals(new float[] {1f, -4f / 3f}, ldu.unitUpper());
    }

    @Test
    void rankAboveMinDimensionIsCapped() {
        float[] w = LduDecompositionPropertyTest.gaussian(6, 4, 3);
        LduDecomposition ldu = LduDecomposition.truncated("over", w, 6, 4, 100);

        assertEquals(4, ldu.rank());
        assertEquals(100, ldu.requestedRank());
        assertEquals(6, ldu.rows());
        assertEquals(4, ldu.cols());
        assertEquals(6 * 4, ldu.lowerPermuted().length);
        assertEquals(4 * 4, ldu.unitUpper().length);
    }

    @Test
    void gettersReturnCopies() {
        float[] w = LduDecompositionPropertyTest.gaussian(3, 3, 5);
        LduDecomposition ldu = LduDecomposition.truncated("copies", w, 3, 3, 2);
        float before = ldu.pivots()[0];
        ldu.pivots()[0] = 42f;
        ldu.pivot()[0] = 42;
        assertEquals(before, ldu.pivots()[0]);
        assertTrue(ldu.pivot()[0] < 3);
    }

    @Test
    void badInputNamesTheLayerTheShapeAndTheFix() {
        float[] w = LduDecompositionPropertyTest.gaussian(4, 3, 1);

        assertMessage(() -> LduDecomposition.truncated("q_proj", w, 4, 3, 0),
                "q_proj", "[4, 3]", "rank must be at least 1 but was 0", "between 1 and 3");
        assertMessage(() -> LduDecomposition.truncated("q_proj", w, 3, 3, 2),
                "q_proj", "[3, 3]", "has 12 floats", "needs 9", "row-major");
        w[2 * 3 + 1] = Float.NaN;
        assertMessage(() -> LduDecomposition.truncated("v_proj", w, 4, 3, 2),
                "v_proj", "[4, 3]", "W[2, 1]", "NaN");
        w[2 * 3 + 1] = Float.NEGATIVE_INFINITY;
        assertMessage(() -> LduDecomposition.truncated("v_proj", w, 4, 3, 2),
                "v_proj", "W[2, 1]", "-Infinity");
        assertMessage(() -> LduDecomposition.truncated("dense", new float[0], 0, 3, 1), "dense", "[0, 3]");
    }


    private static void assertMessage(Runnable call, String... parts) {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, call::run);
        for (String part : parts) {
            assertTrue(error.getMessage().contains(part), "message lacks '" + part + "': " + error.getMessage());
        }
    }

    private static void assertFiniteFactors(LduDecomposition ldu) {
        assertAllFinite("Lp", ldu.lowerPermuted());
        assertAllFinite("d", ldu.pivots());
        assertAllFinite("U'", ldu.unitUpper());
    }

    /** {@code Lp diag(d) U' + residual(W, d, 1) = W}; returns the residual. */
    private static float[] assertRebuilds(LduDecomposition ldu, float[] w) {
        float[] residual = SchurResidual.of(ldu, w, ldu.pivots(), 1f);
        assertAllFinite("residual", residual);
        double[] rebuilt = TensorAsserts.product(ldu);
        for (int i = 0; i < rebuilt.length; i++) {
            rebuilt[i] += residual[i];
        }
        assertClose("Lp diag(d) U' + S", TensorAsserts.toDouble(w), rebuilt, TOLERANCE, 1);
        return residual;
    }
}
