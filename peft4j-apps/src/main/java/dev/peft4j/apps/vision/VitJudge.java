package dev.peft4j.apps.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.vision.ImageExample;
import dev.peft4j.train.vision.Normalization;
import java.util.List;

/**
 * The shipped ViT classifier as the judge of generated images: each image's final class-token vector (what its head
 * reads, as {@code FrechetVitDistance} takes it; the DINO / CLIP-I analogue) and the class its head predicts, from
 * one inference forward.
 */
public final class VitJudge {

    private static final int BATCH = 256;

    private final VitModel vit;
    private final Normalization normalization;

    /** @param normalization the one the ViT was trained with */
    public VitJudge(VitModel vit, Normalization normalization) {
        this.vit = vit;
        this.normalization = normalization;
    }

    /** Class-token features [n][hidden] and predicted labels [n]. */
    public record Verdict(double[][] features, int[] predicted) {
    }

    public Verdict judge(List<ImageExample> images) {
        int side = vit.config().imageSize();
        int size = side * side;
        int hidden = vit.config().hiddenSize();
        double[][] features = new double[images.size()][];
        int[] predicted = new int[images.size()];
        for (int start = 0; start < images.size(); start += BATCH) {
            List<ImageExample> batch = images.subList(start, Math.min(images.size(), start + BATCH));
            float[] values = new float[batch.size() * size];
            for (int i = 0; i < batch.size(); i++) {
                byte[] pixels = batch.get(i).pixels();
                if (pixels.length != size) {
                    throw new IllegalArgumentException("Image " + (start + i) + " has " + pixels.length
                            + " pixels but the ViT takes " + size + " (" + side + " x " + side + ")");
                }
                for (int p = 0; p < size; p++) {
                    values[i * size + p] = (Byte.toUnsignedInt(pixels[p]) / 255f - normalization.mean())
                            / normalization.std();
                }
            }
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray tokens = vit.classToken(manager.create(values, new Shape(batch.size(), size)), false);
                float[] flat = tokens.toFloatArray(); // [batch, hidden]
                long[] argmax = vit.head().forward(tokens).argMax(1).toLongArray();
                for (int i = 0; i < batch.size(); i++) {
                    double[] row = new double[hidden];
                    for (int j = 0; j < hidden; j++) {
                        row[j] = flat[i * hidden + j];
                    }
                    features[start + i] = row;
                    predicted[start + i] = Math.toIntExact(argmax[i]);
                }
            }
        }
        return new Verdict(features, predicted);
    }
}
