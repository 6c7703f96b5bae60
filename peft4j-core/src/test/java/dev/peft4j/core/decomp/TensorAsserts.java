package dev.peft4j.core.decomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Norm-wise closeness for the decomposition tests: the largest difference against the tensor's largest entry. */
final class TensorAsserts {

    private TensorAsserts() {
    }

    /** Fails unless {@code max |expected - actual| <= tolerance * max(|expected|, floor)}, naming the worst entry. */
    static void assertClose(String what, double[] expected, double[] actual, double tolerance, double floor) {
        assertEquals(expected.length, actual.length, what + " length");
        double scale = floor;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        double worst = -1;
        int worstAt = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs(expected[i] - actual[i]);
            if (Double.isNaN(diff)) {
                fail(what + ": found " + actual[i] + " at flat index " + i + ", expected " + expected[i]);
            }
            if (diff > worst) {
                worst = diff;
                worstAt = i;
            }
        }
        if (worst > tolerance * scale) {
            fail(what + ": largest difference " + worst + " at flat index " + worstAt + " (expected "
                    + expected[worstAt] + ", found " + actual[worstAt] + ") exceeds " + tolerance + " x " + scale);
        }
    }

    static void assertClose(String what, float[] expected, float[] actual, double tolerance) {
        assertClose(what, toDouble(expected), toDouble(actual), tolerance, 0);
    }

    static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    static void assertAllFinite(String what, float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                fail(what + " has " + values[i] + " at flat index " + i);
            }
        }
    }

    /** {@code Lp diag(d) U'} in double, [m, n]. */
    static double[] product(LduDecomposition ldu) {
        int m = ldu.rows();
        int n = ldu.cols();
        int r = ldu.rank();
        float[] lower = ldu.lowerPermuted();
        float[] d = ldu.pivots();
        float[] upper = ldu.unitUpper();
        double[] out = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int k = 0; k < r; k++) {
                double a = (double) lower[i * r + k] * d[k];
                for (int c = 0; c < n; c++) {
                    out[i * n + c] += a * upper[k * n + c];
                }
            }
        }
        return out;
    }
}
