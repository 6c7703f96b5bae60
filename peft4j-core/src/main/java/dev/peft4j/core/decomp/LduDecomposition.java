package dev.peft4j.core.decomp;

/**
 * Truncated LDU decomposition of a weight {@code W [m, n]} (row-major, {@code [out, in]}): the first {@code r} steps
 * of Gaussian elimination with partial pivoting, as LoLDU initialises its adapters
 * (<a href="https://arxiv.org/abs/2410.13618">paper</a>).
 *
 * <p>Identity: {@code W = Lp·diag(d)·U' + S}, where {@code Lp = P·L[:, :r]} ({@code [m, r]}, the permutation folded
 * into the rows), {@code d} the first {@code r} pivots (signed), {@code U'} the first {@code r} rows of {@code U}
 * divided by their pivots ({@code [r, n]}, unit diagonal) and {@code S} the Schur complement left after {@code r}
 * steps, in the original row order. With {@code r = min(m, n)} and a weight of full rank, {@code S = 0} and this is
 * the full {@code W = P·L·diag(d)·U'}. Later pivots only swap rows of {@code L} and {@code P} together, so the
 * truncated factors equal the first {@code r} columns / rows of a full LU.
 *
 * <p>Why hand-written: DJL's PyTorch engine has no LU, and an adapter must see the same factors wherever it loads.
 * Java floating point is strict IEEE 754 on every JVM and machine since Java 17 (JEP 306; no fused multiply-add
 * unless asked for), and this code sums in a fixed order on one thread, so the factors are bit-reproducible. They are
 * computed in {@code double} and rounded once to fp32. Pivots follow LAPACK {@code getrf}: the first entry of
 * largest absolute value in the column, in the current (swapped) row order, so the factors agree with the reference
 * PyTorch code to fp32 rounding. Elimination is left-looking (Crout): step {@code j} computes only column {@code j}
 * of the Schur complement for the unpivoted rows and row {@code j} of {@code U}, so the cost is
 * {@code O((m + n) r^2)}, not the {@code O(m n min(m, n))} of a full LU.
 *
 * <p>Zero pivots (rank-deficient {@code W}): when the remaining column is zero, the reference divides by zero and
 * produces NaN. Here the pivot is the first remaining row, {@code d_j = 0}, column {@code j} of {@code Lp} below it is
 * zero and row {@code j} of {@code U'} is the unit vector {@code e_j}; {@code d_j·U'[j] = 0}, so the identity above
 * still holds with {@code S = W - Lp·diag(d)·U'} keeping what that row did not eliminate. A pivot too small for fp32
 * (it rounds to zero, or dividing its row by it would overflow fp32) is treated the same way, so no factor is NaN or
 * infinite.
 */
public final class LduDecomposition {


    private final String layer;
    private final int m;
    private final int n;
    private final int rank;
    private final int requestedRank;
    private final float[] lowerPermuted; // [m, r]
    private final float[] pivots; // [r]
    private final float[] unitUpper; // [r, n]
    private final int[] pivot; // [m]

    private LduDecomposition(String layer, Shape shape, LduElimination done) {
        this.layer = layer;
        this.m = shape.m;
        this.n = shape.n;
        this.rank = shape.rank;
        this.requestedRank = shape.requestedRank;
        this.lowerPermuted = done.lowerPermuted();
        this.pivots = done.pivots();
        this.unitUpper = done.unitUpper();
        this.pivot = done.positions();
    }

    /**
     * Decomposes {@code weight} ({@code [m, n]} row-major) with {@code rank} elimination steps. A rank above
     * {@code min(m, n)} is capped to it for this layer ({@link #requestedRank()} keeps the asked value; the caller
     * warns, and keeps {@code sigma0 = alpha / requestedRank} as the reference does).
     *
     * @param layerName used in error messages only
     * @throws IllegalArgumentException for a rank below 1, a weight whose length is not {@code m * n}, or a NaN or
     *     infinite weight
     */
    public static LduDecomposition truncated(String layerName, float[] weight, int m, int n, int rank) {
        String layer = layerName == null ? "(unnamed)" : layerName;
        if (m < 1 || n < 1) {
            throw new IllegalArgumentException("Layer '" + layer + "': weight shape [" + m + ", " + n
                    + "] must have at least one row and one column; pass m = out features and n = in features");
        }
        if (rank < 1) {
            throw new IllegalArgumentException("Layer '" + layer + "': rank must be at least 1 but was " + rank
                    + " (weight [" + m + ", " + n + "]); use a rank between 1 and " + Math.min(m, n));
        }
        checkWeight(layer, weight, m, n);
        Shape shape = new Shape(m, n, Math.min(rank, Math.min(m, n)), rank);
        return new LduDecomposition(layer, shape, new LduElimination(layer, weight, shape).run());
    }

    /** Number of rows {@code m} (out features). */
    public int rows() {
        return m;
    }

    /** Number of columns {@code n} (in features). */
    public int cols() {
        return n;
    }

    /** Effective rank {@code r = min(requestedRank, m, n)}. */
    public int rank() {
        return rank;
    }

    /** The rank asked for; larger than {@link #rank()} when it was capped for this layer. */
    public int requestedRank() {
        return requestedRank;
    }

    /**
     * {@code Lp = P·L[:, :r]}, {@code [m, r]} row-major. Column {@code k} is 1 in the row eliminated at step
     * {@code k} and 0 in the rows eliminated before it (unit lower-triangular in pivot order). A copy.
     */
    public float[] lowerPermuted() {
        return lowerPermuted.clone();
    }

    /** {@code d_r}, the first {@code r} pivots with their signs ({@code 0} for a zero pivot). A copy. */
    public float[] pivots() {
        return pivots.clone();
    }

    /** {@code U'_r}, {@code [r, n]} row-major, unit diagonal, zero below it. A copy. */
    public float[] unitUpper() {
        return unitUpper.clone();
    }

    /**
     * The row permutation: {@code (P·L)[i] = L[pivot[i]]}, i.e. row {@code i} of {@code W} was eliminated at step
     * {@code pivot[i]} when {@code pivot[i] < r}; rows never chosen get the positions {@code r..m-1} in LAPACK's
     * swap order (a full LU may permute those further). A copy.
     */
    public int[] pivot() {
        return pivot.clone();
    }

    private static void checkWeight(String layer, float[] weight, int m, int n) {
        long expected = (long) m * n;
        if (weight == null || weight.length != expected) {
            throw new IllegalArgumentException("Layer '" + layer + "': weight has "
                    + (weight == null ? "no array (null)" : weight.length + " floats") + " but shape [" + m + ", "
                    + n + "] needs " + expected + "; pass the weight row-major as [out, in] with m = out features"
                    + " and n = in features (transpose [in, out] checkpoints first)");
        }
        for (int idx = 0; idx < weight.length; idx++) {
            if (!Float.isFinite(weight[idx])) {
                throw new IllegalArgumentException("Layer '" + layer + "': weight [" + m + ", " + n
                        + "] must be finite but W[" + idx / n + ", " + idx % n + "] (flat index " + idx + ") is "
                        + weight[idx] + "; check the checkpoint, or the training step that wrote it, for overflow");
            }
        }
    }

    /** Sizes of one decomposition: {@code [m, n]}, the effective and the requested rank. */
    record Shape(int m, int n, int rank, int requestedRank) {
    }
}
