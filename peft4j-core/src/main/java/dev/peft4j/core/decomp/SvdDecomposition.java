package dev.peft4j.core.decomp;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

/**
 * Truncated singular value decomposition of a weight {@code W [m, n]} (row-major, {@code [out, in]}):
 * the top {@code r} singular triplets, as PiSSA (<a href="https://arxiv.org/abs/2404.02948">paper</a>)
 * and SVFit initialise their adapters.
 *
 * <p>Identity: {@code W ≈ U_r·diag(S_r)·V_r^T}, with {@code U_r [m, r]} and {@code V_r^T [r, n]}
 * orthonormal, {@code S_r} descending and non-negative; {@code W - U_r·diag(S_r)·V_r^T} is the best
 * rank-(min(m, n) - r) remainder, and with {@code r = min(m, n)} it is zero up to rounding.
 *
 * <p>Computed in {@code double} by commons-math3 (pure Java, one thread, so the factors are
 * reproducible wherever the adapter loads, which compact adapter files rely on) and rounded once to
 * fp32. A full SVD costs O(m n min(m, n)): fine for encoder layers (768 x 768 takes about a second).
 */
public final class SvdDecomposition {

    private final int m;
    private final int n;
    private final int rank;
    private final float[] left; // U_r [m, r]
    private final float[] singularValues; // S_r [r]
    private final float[] rightTransposed; // V_r^T [r, n]

    private SvdDecomposition(int m, int n, int rank, float[] left, float[] singularValues, float[] rightTransposed) {
        this.m = m;
        this.n = n;
        this.rank = rank;
        this.left = left;
        this.singularValues = singularValues;
        this.rightTransposed = rightTransposed;
    }

    /**
     * Decomposes {@code weight} ({@code [m, n]} row-major) and keeps the top {@code rank} triplets; a
     * rank above {@code min(m, n)} is capped (see {@link #rank()}).
     *
     * @param layer the layer's name, for error messages
     */
    public static SvdDecomposition truncated(String layer, float[] weight, int m, int n, int rank) {
        if (m < 1 || n < 1 || weight.length != (long) m * n) {
            throw new IllegalArgumentException("SVD of " + layer + ": expected a " + m + " x " + n + " weight ("
                    + (long) m * n + " values), found " + weight.length + " values");
        }
        if (rank < 1) {
            throw new IllegalArgumentException("SVD of " + layer + ": rank must be at least 1, found " + rank);
        }
        double[][] rows = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float value = weight[i * n + j];
                if (!Float.isFinite(value)) {
                    throw new IllegalArgumentException("SVD of " + layer + ": weight[" + i + ", " + j + "] is " + value
                            + "; the base weight must be finite (reload the checkpoint)");
                }
                rows[i][j] = value;
            }
        }
        int r = Math.min(rank, Math.min(m, n));
        RealMatrix matrix = new Array2DRowRealMatrix(rows, false);
        SingularValueDecomposition svd = new SingularValueDecomposition(matrix);
        RealMatrix u = svd.getU(); // [m, p]
        RealMatrix v = svd.getV(); // [n, p]
        double[] s = svd.getSingularValues(); // [p], descending
        float[] left = new float[m * r];
        float[] values = new float[r];
        float[] rightT = new float[r * n];
        for (int k = 0; k < r; k++) {
            values[k] = (float) s[k];
            for (int i = 0; i < m; i++) {
                left[i * r + k] = (float) u.getEntry(i, k);
            }
            for (int j = 0; j < n; j++) {
                rightT[k * n + j] = (float) v.getEntry(j, k);
            }
        }
        return new SvdDecomposition(m, n, r, left, values, rightT);
    }

    public int rows() {
        return m;
    }

    public int columns() {
        return n;
    }

    /** The kept rank: {@code min(requested, m, n)}. */
    public int rank() {
        return rank;
    }

    /** {@code U_r}, [m, r] row-major (a copy). */
    public float[] left() {
        return left.clone();
    }

    /** {@code S_r}, [r], descending (a copy). */
    public float[] singularValues() {
        return singularValues.clone();
    }

    /** {@code V_r^T}, [r, n] row-major (a copy). */
    public float[] rightTransposed() {
        return rightTransposed.clone();
    }
}
