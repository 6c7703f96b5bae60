package dev.peft4j.train.vision;

/**
 * One grey image and its class. Pixels stay raw unsigned bytes (row-major, 0-255) so that 70,000 MNIST images take
 * 55 MB instead of 220 MB as floats; the classifier normalises per batch.
 *
 * @param pixels row-major unsigned bytes, {@code rows * cols} of them
 * @param label class in {@code [0, numLabels)}
 */
public record ImageExample(byte[] pixels, int label) {

    public ImageExample {
        if (label < 0) {
            throw new IllegalArgumentException("label must be >= 0, found " + label);
        }
    }
}
