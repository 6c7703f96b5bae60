package dev.peft4j.train.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.objective.Classifier;
import java.util.List;
import java.util.Random;

/**
 * Image classification of {@link ImageExample}s with a ViT: normalise, optionally shift each training image by up
 * to {@code maxShift} pixels (a light, seeded augmentation; never at evaluation), forward.
 *
 * <p>The shifts come from one generator seeded at construction, so a run is repeatable from its start; a run
 * resumed from a checkpoint draws other shifts than the uninterrupted one would (train with {@code maxShift = 0}
 * where bit-identical resumption matters).
 */
public final class ImageClassifier implements Classifier<ImageExample> {

    private final VitModel model;
    private final PeftModel peft;
    private final Normalization normalization;
    private final int maxShift;
    private final Random random;

    /**
     * @param maxShift largest shift in pixels along each axis for training images (0: no augmentation)
     * @param seed seeds the shifts
     */
    public ImageClassifier(VitModel model, PeftModel peft, Normalization normalization, int maxShift, long seed) {
        if (model.config().numChannels() != 1) {
            throw new IllegalArgumentException("ImageClassifier feeds grey images (1 channel); the ViT takes "
                    + model.config().numChannels() + " channels");
        }
        if (maxShift < 0 || maxShift >= model.config().imageSize()) {
            throw new IllegalArgumentException("maxShift must be in [0, " + model.config().imageSize() + "), found "
                    + maxShift);
        }
        this.model = model;
        this.peft = peft;
        this.normalization = normalization;
        this.maxShift = maxShift;
        this.random = new Random(seed);
    }

    @Override
    public NDArray logits(List<ImageExample> batch, NDManager manager, boolean training) {
        int side = model.config().imageSize();
        int size = side * side;
        float[] values = new float[batch.size() * size];
        for (int i = 0; i < batch.size(); i++) {
            byte[] pixels = batch.get(i).pixels();
            if (pixels.length != size) {
                throw new IllegalArgumentException("Image " + i + " of the batch has " + pixels.length
                        + " pixels but the ViT takes " + size + " (" + side + " x " + side + ")");
            }
            int dx = training && maxShift > 0 ? random.nextInt(2 * maxShift + 1) - maxShift : 0;
            int dy = training && maxShift > 0 ? random.nextInt(2 * maxShift + 1) - maxShift : 0;
            fill(values, i * size, pixels, side, dx, dy);
        }
        NDArray images = manager.create(values, new Shape(batch.size(), size)); // [batch, C*S*S]
        return model.forward(images, training);
    }

    /** Writes the normalised image shifted by (dx, dy); pixels shifted in from outside are background (0). */
    private void fill(float[] out, int offset, byte[] pixels, int side, int dx, int dy) {
        float background = normalization.apply(0);
        for (int y = 0; y < side; y++) {
            int sourceY = y - dy;
            for (int x = 0; x < side; x++) {
                int sourceX = x - dx;
                boolean inside = sourceY >= 0 && sourceY < side && sourceX >= 0 && sourceX < side;
                out[offset + y * side + x] = inside
                        ? normalization.apply(Byte.toUnsignedInt(pixels[sourceY * side + sourceX])) : background;
            }
        }
    }

    @Override
    public int label(ImageExample example) {
        return example.label();
    }

    @Override
    public int numLabels() {
        return model.numLabels();
    }

    @Override
    public PeftModel peftModel() {
        return peft;
    }

    public VitModel model() {
        return model;
    }
}
