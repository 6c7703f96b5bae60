package dev.peft4j.core.decomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Compares against the reference LoLDU code's factors and residuals (see {@code golden/loldu/README.md}). Tolerance:
 * 1e-5 of each tensor's largest magnitude, because the reference eliminates in fp32 and its error grows with the
 * number of steps (6.8e-6 measured on the full 96x96 case); a different pivot would differ by order 1.
 */
class LduDecompositionGoldenTest {

    // relative to each tensor's max |value|: the reference's fp32 elimination error, 6.8e-6 measured (fixed: our side
    // is plain Java double and the reference a stored file, so no CPU dependence), ~sqrt(96)·u·growth
    private static final double TOLERANCE = 1e-5;
    private static final Set<String> IDENTITY_FAMILY = Set.of("lu", "constant", "uniform", "normal");

    @ParameterizedTest
    @ValueSource(strings = {
        "rnd48x64_r1_a16_lu", "rnd48x64_r8_a16_lu", "rnd48x64_r32_a16_lu", "rnd48x64_r48_a16_lu",
        "rnd64x48_r1_a16_lu", "rnd64x48_r8_a16_lu", "rnd64x48_r32_a16_lu", "rnd64x48_r48_a16_lu",
        "rnd64x48_r8_a8_lu", "rnd64x48_r8_a16_constant", "rnd64x48_r8_a16_uniform", "rnd64x48_r8_a16_ones",
        "rnd64x48_r8_a16_zeros", "rnd64x48_r8_a16_s_normal", "rnd64x48_r100_a16_lu_overrank",
        "rnd96x96_r1_a16_lu", "rnd96x96_r8_a16_lu", "rnd96x96_r32_a16_lu", "rnd96x96_r96_a16_lu"})
    void matchesReference(String name) {
        NpzFile golden = NpzFile.resource("/golden/loldu/" + name + ".npz");
        int[] shape = golden.shape("W");
        int m = shape[0];
        int n = shape[1];
        int requested = Integer.parseInt(name.replaceFirst(".*_r(\\d+)_.*", "$1"));
        String init = name.replaceFirst(".*_a\\d+_", "").replace("_overrank", "");
        float[] w = golden.floats("W");

        LduDecomposition ldu = LduDecomposition.truncated(name, w, m, n, requested);

        int r = golden.shape("D_r")[0];
        assertEquals(r, ldu.rank(), "effective rank");
        assertEquals(requested, ldu.requestedRank(), "requested rank");
        assertClose(name + " PL_r", golden.floats("PL_r"), ldu.lowerPermuted());
        assertClose(name + " D_r", golden.floats("D_r"), ldu.pivots());
        assertClose(name + " U_r", golden.floats("U_r"), ldu.unitUpper());
        assertPivotsAgree(golden.longs("P_rows"), ldu.pivot(), r);

        float[] c = IDENTITY_FAMILY.contains(init) ? golden.floats("z0") : golden.floats("D_r");
        float sigma0 = golden.scalar("sigma0");
        assertClose(name + " W_res", golden.floats("W_res"), SchurResidual.of(ldu, w, c, sigma0));
    }

    /** Rows eliminated in the first r steps must sit at the same positions; the rest only after position r. */
    private static void assertPivotsAgree(long[] reference, int[] ours, int r) {
        assertEquals(reference.length, ours.length);
        for (int i = 0; i < ours.length; i++) {
            if (reference[i] < r) {
                assertEquals(reference[i], ours[i], "row " + i + " is eliminated at another step");
            } else {
                assertTrue(ours[i] >= r, "row " + i + " should not be a pivot row but sits at " + ours[i]);
            }
        }
    }

    private static void assertClose(String what, float[] expected, float[] actual) {
        TensorAsserts.assertClose(what, expected, actual, TOLERANCE);
    }
}
