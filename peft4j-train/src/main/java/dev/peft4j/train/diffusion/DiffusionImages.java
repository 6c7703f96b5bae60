package dev.peft4j.train.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.train.vision.ImageExample;
import java.util.ArrayList;
import java.util.List;

/**
 * Grey pixels to the diffusion model's data range and back: {@code x = p / 127.5 - 1} in [-1, 1], the range DDPM
 * and DiT train in and the DDIM sampler clips its predictions to.
 */
public final class DiffusionImages {

    private DiffusionImages() {
    }

    /** [batch, 1, side, side] in [-1, 1]. */
    public static NDArray toTensor(List<ImageExample> batch, int side, NDManager manager) {
        int size = side * side;
        float[] values = new float[batch.size() * size];
        for (int i = 0; i < batch.size(); i++) {
            byte[] pixels = batch.get(i).pixels();
            if (pixels.length != size) {
                throw new IllegalArgumentException("Image " + i + " of the batch has " + pixels.length
                        + " pixels but the model takes " + size + " (" + side + " x " + side + ")");
            }
            for (int p = 0; p < size; p++) {
                values[i * size + p] = Byte.toUnsignedInt(pixels[p]) / 127.5f - 1f;
            }
        }
        return manager.create(values, new Shape(batch.size(), 1, side, side));
    }

    /** The pixel of a value in [-1, 1] (clamped beyond), rounded to the nearest of 0-255. */
    public static int toPixel(float value) {
        float clamped = Math.max(-1f, Math.min(1f, value));
        return Math.round((clamped + 1f) * 127.5f);
    }

    /**
     * Images [n, 1, s, s] in [-1, 1] (a sampler's output) as 8-bit grey examples of {@code label}: what the image
     * metrics read, the same pixels a PNG grid shows.
     */
    public static List<ImageExample> toExamples(NDArray images, int label) {
        long[] shape = images.getShape().getShape();
        if (shape.length != 4 || shape[1] != 1 || shape[2] != shape[3]) {
            throw new IllegalArgumentException("Expected grey square images [n, 1, s, s], found shape "
                    + images.getShape());
        }
        int size = Math.toIntExact(shape[2] * shape[3]);
        float[] values = images.toFloatArray();
        List<ImageExample> examples = new ArrayList<>(Math.toIntExact(shape[0]));
        for (int i = 0; i < shape[0]; i++) {
            byte[] pixels = new byte[size];
            for (int p = 0; p < size; p++) {
                pixels[p] = (byte) toPixel(values[i * size + p]);
            }
            examples.add(new ImageExample(pixels, label));
        }
        return examples;
    }
}
