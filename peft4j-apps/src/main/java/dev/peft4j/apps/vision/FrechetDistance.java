package dev.peft4j.apps.vision;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * The Fréchet distance between two Gaussians (Dowson and Landau; FID's, Heusel et al.,
 * <a href="https://arxiv.org/abs/1706.08500">paper</a>):
 * {@code d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2})}. The symmetric form has the same
 * trace as pytorch-fid's {@code sqrtm(S1 S2)} (the two products are similar matrices) but needs only symmetric
 * eigendecompositions, which are stable and real, where {@code S1 S2} is not symmetric.
 */
public final class FrechetDistance {

    private FrechetDistance() {
    }

    /** The squared Fréchet distance; 0 for equal statistics (up to rounding), never negative. */
    public static double between(GaussianStatistics a, GaussianStatistics b) {
        if (a.dimension() != b.dimension()) {
            throw new IllegalArgumentException("Both statistics must have the same dimension, found "
                    + a.dimension() + " and " + b.dimension() + "; compute them with the same feature extractor");
        }
        double meanTerm = 0;
        for (int i = 0; i < a.dimension(); i++) {
            double diff = a.mean()[i] - b.mean()[i];
            meanTerm += diff * diff;
        }
        RealMatrix s1 = new Array2DRowRealMatrix(a.covariance(), false);
        RealMatrix s2 = new Array2DRowRealMatrix(b.covariance(), false);
        RealMatrix root1 = symmetricSqrt(s1);
        RealMatrix middle = root1.multiply(s2).multiply(root1);
        double traceRoot = 0;
        for (double eigenvalue : new EigenDecomposition(symmetrised(middle)).getRealEigenvalues()) {
            traceRoot += Math.sqrt(Math.max(eigenvalue, 0)); // clamped: see symmetricSqrt
        }
        return Math.max(0, meanTerm + s1.getTrace() + s2.getTrace() - 2 * traceRoot);
    }

    /**
     * {@code V diag(sqrt(max(l, 0))) V^T}. A covariance is positive semi-definite, but one of fewer samples than
     * dimensions, or of features that are linear combinations of one another, is singular, and rounding then gives
     * eigenvalues of about -1e-16 times the largest: they are zero, and their square root would be NaN.
     */
    static RealMatrix symmetricSqrt(RealMatrix symmetric) {
        EigenDecomposition eigen = new EigenDecomposition(symmetric);
        RealMatrix v = eigen.getV();
        double[] values = eigen.getRealEigenvalues();
        RealMatrix scaled = v.copy();
        for (int j = 0; j < values.length; j++) {
            double root = Math.sqrt(Math.max(values[j], 0));
            for (int i = 0; i < values.length; i++) {
                scaled.multiplyEntry(i, j, root);
            }
        }
        return scaled.multiply(v.transpose());
    }

    /** {@code (M + M^T) / 2}: the product of symmetric matrices is symmetric only up to rounding. */
    private static RealMatrix symmetrised(RealMatrix m) {
        return m.add(m.transpose()).scalarMultiply(0.5);
    }
}
