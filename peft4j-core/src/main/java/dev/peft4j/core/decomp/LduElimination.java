package dev.peft4j.core.decomp;

import java.util.Arrays;

/** One left-looking elimination; state in {@code double}, rows addressed by position after LAPACK's swaps. */
final class LduElimination {
    private final String layer;
    private final float[] w; // [m, n], untouched
    private final int m;
    private final int n;
    private final int r;
    private final int[] perm; // perm[position] = original row
    private final double[][] lowerT; // [r][m]: column k of L, by position
    private final double[][] upper; // [r][n]: row k of U = d_k * U'_k (zero for a zero pivot)
    private final double[] column; // [m] column j of the Schur complement, by position

    LduElimination(String layer, float[] w, LduDecomposition.Shape shape) {
        this.layer = layer;
        this.w = w;
        this.m = shape.m();
        this.n = shape.n();
        this.r = shape.rank();
        this.perm = new int[m];
        for (int i = 0; i < m; i++) {
            perm[i] = i;
        }
        this.lowerT = new double[r][m];
        this.upper = new double[r][n];
        this.column = new double[m];
    }

    LduElimination run() {
        for (int j = 0; j < r; j++) {
            step(j);
        }
        return this;
    }

    private void step(int j) {
        schurColumn(j);
        int q = firstLargest(j);
        swap(j, q);
        double d = column[j];
        double[] u = upper[j];
        schurRow(j, u);
        double[] l = lowerT[j];
        l[j] = 1.0;
        if (negligible(d, u, j)) {
            Arrays.fill(u, 0.0); // d_j U'_j = 0; rows below keep column j in S
            return;
        }
        u[j] = d;
        for (int pos = j + 1; pos < m; pos++) {
            l[pos] = column[pos] / d; // |l| <= 1 by the pivot choice
        }
    }

    /** {@code column[pos] = W[perm[pos], j] - sum_{k<j} L[pos, k] U[k, j]} for the unpivoted positions. */
    private void schurColumn(int j) {
        for (int pos = j; pos < m; pos++) {
            column[pos] = w[perm[pos] * n + j];
        }
        int k = 0;
        for (; k + 4 <= j; k += 4) {
            double a0 = upper[k][j];
            double a1 = upper[k + 1][j];
            double a2 = upper[k + 2][j];
            double a3 = upper[k + 3][j];
            double[] l0 = lowerT[k];
            double[] l1 = lowerT[k + 1];
            double[] l2 = lowerT[k + 2];
            double[] l3 = lowerT[k + 3];
            for (int pos = j; pos < m; pos++) {
                column[pos] = column[pos] - a0 * l0[pos] - a1 * l1[pos] - a2 * l2[pos] - a3 * l3[pos];
            }
        }
        for (; k < j; k++) {
            double a = upper[k][j];
            double[] l = lowerT[k];
            for (int pos = j; pos < m; pos++) {
                column[pos] -= a * l[pos];
            }
        }
    }

    /** {@code u[c] = W[perm[j], c] - sum_{k<j} L[j, k] U[k, c]} for {@code c > j}. */
    private void schurRow(int j, double[] u) {
        int src = perm[j] * n;
        for (int c = j + 1; c < n; c++) {
            u[c] = w[src + c];
        }
        int k = 0;
        for (; k + 4 <= j; k += 4) {
            double a0 = lowerT[k][j];
            double a1 = lowerT[k + 1][j];
            double a2 = lowerT[k + 2][j];
            double a3 = lowerT[k + 3][j];
            double[] u0 = upper[k];
            double[] u1 = upper[k + 1];
            double[] u2 = upper[k + 2];
            double[] u3 = upper[k + 3];
            for (int c = j + 1; c < n; c++) {
                u[c] = u[c] - a0 * u0[c] - a1 * u1[c] - a2 * u2[c] - a3 * u3[c];
            }
        }
        for (; k < j; k++) {
            double a = lowerT[k][j];
            double[] uk = upper[k];
            for (int c = j + 1; c < n; c++) {
                u[c] -= a * uk[c];
            }
        }
    }

    /** LAPACK's {@code i_amax}: the first position of largest |value|, so ties pick the earliest row. */
    private int firstLargest(int j) {
        int best = j;
        double largest = -1.0;
        for (int pos = j; pos < m; pos++) {
            double a = Math.abs(column[pos]);
            if (!(a <= Double.MAX_VALUE)) {
                throw new IllegalArgumentException("Layer '" + layer + "': elimination step " + j
                        + " of weight [" + m + ", " + n + "] overflowed (element growth); the weight is too"
                        + " ill-conditioned for rank " + r + ", use a rank of at most " + Math.max(1, j));
            }
            if (a > largest) {
                largest = a;
                best = pos;
            }
        }
        return best;
    }

    private void swap(int j, int q) {
        if (q == j) {
            return;
        }
        int row = perm[j];
        perm[j] = perm[q];
        perm[q] = row;
        double v = column[j];
        column[j] = column[q];
        column[q] = v;
        for (int k = 0; k < j; k++) {
            double[] l = lowerT[k];
            double t = l[j];
            l[j] = l[q];
            l[q] = t;
        }
    }

    /** Zero, or so small that fp32 cannot hold it or its row of U' (see the class javadoc). */
    private boolean negligible(double d, double[] u, int j) {
        if ((float) d == 0f) {
            return true;
        }
        if (!Float.isFinite((float) d)) {
            throw new IllegalArgumentException("Layer '" + layer + "': pivot " + j + " of weight [" + m + ", "
                    + n + "] is " + d + ", beyond fp32; the weight is too ill-conditioned for rank " + r
                    + ", use a rank of at most " + Math.max(1, j));
        }
        double limit = Math.abs(d) * Float.MAX_VALUE;
        for (int c = j + 1; c < n; c++) {
            if (Math.abs(u[c]) > limit) {
                return true;
            }
        }
        return false;
    }

    float[] lowerPermuted() {
        float[] out = new float[m * r]; // [m, r]
        for (int pos = 0; pos < m; pos++) {
            int base = perm[pos] * r;
            for (int k = 0; k < r; k++) {
                out[base + k] = (float) lowerT[k][pos];
            }
        }
        return out;
    }

    float[] pivots() {
        float[] out = new float[r];
        for (int k = 0; k < r; k++) {
            out[k] = (float) upper[k][k];
        }
        return out;
    }

    float[] unitUpper() {
        float[] out = new float[r * n]; // [r, n]
        for (int k = 0; k < r; k++) {
            double d = upper[k][k];
            double[] u = upper[k];
            int base = k * n;
            out[base + k] = 1f;
            if (d == 0) {
                continue;
            }
            for (int c = k + 1; c < n; c++) {
                out[base + c] = (float) (u[c] / d);
            }
        }
        return out;
    }

    int[] positions() {
        int[] out = new int[m];
        for (int pos = 0; pos < m; pos++) {
            out[perm[pos]] = pos;
        }
        return out;
    }
}
