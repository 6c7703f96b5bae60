package dev.peft4j.apps.vision;

import dev.peft4j.train.vision.ImageDataset;
import dev.peft4j.train.vision.ImageSplit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The images a DiT pretrains on, with one or more classes held out entirely, and the class table it is built with.
 * The trained classes are relabelled {@code 0..k-1} in their original order; the table then has one spare row per
 * held-out class ({@code k..k+h-1}, in the order given), never trained, for personalisation to bind the held-out
 * concept to later without resizing the model; the null class of classifier-free guidance comes after
 * ({@code DitConfig.nullClass() = k + h}). Held-out images are in none of train, validation and test.
 *
 * @param train the training images (trained classes only, relabelled)
 * @param validation images taken out of the training set to pick the best epoch
 * @param test the official test images of the trained classes, relabelled (a seeded subset if asked)
 * @param trainedClasses the original class ids trained on, in label order
 * @param heldOut the original class ids held out, in the order of their spare rows
 * @param classTable the name of each label of the model, spares included (its {@code num_classes})
 */
public record DitTrainingData(ImageDataset train, ImageDataset validation, ImageDataset test, int[] trainedClasses,
        int[] heldOut, List<String> classTable) {

    /** The suffix of a spare row's name in the class table. */
    public static final String SPARE = " (held out: spare row, untrained)";

    /**
     * Splits {@code data} for pretraining.
     *
     * @param heldOut original class ids kept out of every split; distinct, leaving at least one class to train
     * @param validation training images taken out for validation (seeded)
     * @param maxTrain at most this many of the remaining training images (seeded subset), 0 for all
     * @param maxTest at most this many test images (seeded subset), 0 for all
     */
    public static DitTrainingData of(ImageSplit data, int[] heldOut, int validation, int maxTrain, int maxTest,
            long seed) {
        List<String> names = data.train().labelNames();
        boolean[] out = new boolean[names.size()];
        for (int c : heldOut) {
            if (c < 0 || c >= names.size() || out[c]) {
                throw new IllegalArgumentException("Held-out classes must be distinct and in [0, " + names.size()
                        + "), found " + Arrays.toString(heldOut) + "; the classes are " + names);
            }
            out[c] = true;
        }
        int[] trained = new int[names.size() - heldOut.length];
        if (trained.length == 0) {
            throw new IllegalArgumentException("Holding out all " + names.size() + " classes leaves nothing to train"
                    + " on; hold out fewer, e.g. one class");
        }
        for (int c = 0, k = 0; c < names.size(); c++) {
            if (!out[c]) {
                trained[k++] = c;
            }
        }
        ImageSplit kept = data.withClasses(trained);
        List<ImageDataset> parts = kept.train().split(validation, seed);
        List<String> table = new ArrayList<>(kept.train().labelNames());
        for (int c : heldOut) {
            table.add(names.get(c) + SPARE);
        }
        return new DitTrainingData(parts.get(1).sample(maxTrain, seed), parts.get(0), kept.test().sample(maxTest,
                seed), trained, heldOut.clone(), List.copyOf(table));
    }

    /** The labels trained on: {@code 0..k-1}. */
    public int trainedLabels() {
        return trainedClasses.length;
    }
}
