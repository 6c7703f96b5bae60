package dev.peft4j.core.decomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Norm-wise closeness for the decomposition tests: the largest difference against the tensor's largest entry. The
 * decompositions run in plain Java {@code double} (IEEE, the same on every CPU) and round once to fp32, so their
 * differences from a reference do not depend on the machine; the tolerances are sized from fp32 rounding (u = 2^-24)
 * and elimination growth.
 */
final class TensorAsserts {

    private TensorAsserts() {
    }

    /**
     * Fails unless {@code max_i |expected[i] - actual[i]| <= tolerance * max(max_i |expected[i]|, floor)}, naming the
     * worst entry: relative to the largest magnitude of {@code expected}, or to {@code floor} when that is larger
     * (pass the magnitude of the inputs, e.g. max |W|, when {@code expected} is a residual that cancels to ~0).
     */
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

    /** As above with no floor: purely relative to max |expected|. */
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
