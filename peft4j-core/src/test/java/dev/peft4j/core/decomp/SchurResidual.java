package dev.peft4j.core.decomp;

/**
 * {@code W - scale·Lp·diag(c)·U'_r}, accumulated in {@code double} from a decomposition's fp32 factors and rounded
 * once: with {@code c = d_r, scale = 1} the Schur complement left after r elimination steps, with
 * {@code c = z0, scale = sigma0} the reference implementation's frozen {@code W_res}. Test-only: peft4j's layers are
 * in delta form and never build it.
 */
final class SchurResidual {

    private SchurResidual() {
    }

    static float[] of(LduDecomposition ldu, float[] weight, float[] c, float scale) {
        int m = ldu.rows();
        int n = ldu.cols();
        int r = ldu.rank();
        if (weight.length != m * n || c.length != r) {
            throw new IllegalArgumentException("residual needs W [" + m + ", " + n + "] and c [" + r + "], found "
                    + weight.length + " and " + c.length + " values");
        }
        float[] lower = ldu.lowerPermuted(); // [m, r]
        float[] upper = ldu.unitUpper(); // [r, n]
        float[] out = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = weight[i * n + j];
                for (int k = 0; k < r; k++) {
                    acc -= (double) scale * c[k] * lower[i * r + k] * upper[k * n + j];
                }
                out[i * n + j] = (float) acc;
            }
        }
        return out;
    }
}
