package dev.peft4j.apps.vision;

/**
 * The mean and covariance of a set of feature vectors, in double: what the Fréchet distance compares. The covariance
 * is the unbiased one ({@code n - 1} in the denominator), as {@code numpy.cov} in pytorch-fid.
 *
 * @param mean [d]
 * @param covariance [d, d], symmetric
 */
public record GaussianStatistics(double[] mean, double[][] covariance) {

    public GaussianStatistics {
        if (covariance.length != mean.length) {
            throw new IllegalArgumentException("The covariance must be " + mean.length + " x " + mean.length
                    + " for a mean of " + mean.length + " values, found " + covariance.length + " rows");
        }
    }

    /** The statistics of {@code features} [n, d], n >= 2 rows of equal length. */
    public static GaussianStatistics of(double[][] features) {
        int n = features.length;
        if (n < 2) {
            throw new IllegalArgumentException("A covariance needs at least 2 feature vectors, found " + n
                    + "; pass more images");
        }
        int d = features[0].length;
        double[] mean = new double[d];
        for (double[] row : features) {
            if (row.length != d) {
                throw new IllegalArgumentException("Every feature vector must have " + d + " values, found one of "
                        + row.length);
            }
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        double[][] covariance = new double[d][d];
        double[] centred = new double[d];
        for (double[] row : features) {
            for (int j = 0; j < d; j++) {
                centred[j] = row[j] - mean[j];
            }
            for (int i = 0; i < d; i++) {
                for (int j = i; j < d; j++) {
                    covariance[i][j] += centred[i] * centred[j];
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                covariance[i][j] /= n - 1;
                covariance[j][i] = covariance[i][j]; // exactly symmetric, as the eigendecomposition expects
            }
        }
        return new GaussianStatistics(mean, covariance);
    }

    public int dimension() {
        return mean.length;
    }
}
