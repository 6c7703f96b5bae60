package dev.peft4j.train.vision;

/**
 * Per-pixel standardisation {@code (p / 255 - mean) / std}, with a data set's mean and standard deviation on the
 * 0-1 scale, so that a ViT sees inputs of unit scale whichever data set they come from.
 */
public record Normalization(float mean, float std) {

    public Normalization {
        if (!(std > 0) || !Float.isFinite(mean)) {
            throw new IllegalArgumentException("Normalization needs a finite mean and std > 0, found mean " + mean
                    + ", std " + std);
        }
    }

    /** Mean and standard deviation of all pixels of {@code data}. */
    public static Normalization of(ImageDataset data) {
        double sum = 0;
        double sumSquares = 0;
        long n = 0;
        for (ImageExample e : data.examples()) {
            for (byte b : e.pixels()) {
                double v = Byte.toUnsignedInt(b) / 255.0;
                sum += v;
                sumSquares += v * v;
            }
            n += e.pixels().length;
        }
        double mean = sum / n;
        return new Normalization((float) mean, (float) Math.sqrt(sumSquares / n - mean * mean));
    }

    float apply(int pixel) {
        return (pixel / 255f - mean) / std;
    }
}
