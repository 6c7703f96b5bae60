package dev.peft4j.train.vision;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * An immutable list of equally sized images with the names of their classes ({@code labelNames().get(label)}).
 *
 * @param examples the images
 * @param labelNames class names, indexed by label
 * @param rows image height in pixels
 * @param cols image width in pixels
 */
public record ImageDataset(List<ImageExample> examples, List<String> labelNames, int rows, int cols) {

    public ImageDataset {
        examples = List.copyOf(examples);
        labelNames = List.copyOf(labelNames);
        for (int i = 0; i < examples.size(); i++) {
            ImageExample e = examples.get(i);
            if (e.label() >= labelNames.size()) {
                throw new IllegalArgumentException("Example " + i + " has label " + e.label() + " but only "
                        + labelNames.size() + " classes are named: " + labelNames);
            }
            if (e.pixels().length != rows * cols) {
                throw new IllegalArgumentException("Example " + i + " has " + e.pixels().length + " pixels, expected "
                        + rows + " x " + cols + " = " + rows * cols);
            }
        }
    }

    /** Builds the examples of an image file and its label file (same count, checked). */
    static ImageDataset of(Idx.Images images, int[] labels, List<String> labelNames) {
        if (images.count() != labels.length) {
            throw new IllegalArgumentException(images.count() + " images but " + labels.length + " labels");
        }
        List<ImageExample> examples = new ArrayList<>(labels.length);
        for (int i = 0; i < labels.length; i++) {
            examples.add(new ImageExample(images.image(i), labels[i]));
        }
        return new ImageDataset(examples, labelNames, images.rows(), images.cols());
    }

    public int size() {
        return examples.size();
    }

    public int numLabels() {
        return labelNames.size();
    }

    /** How many examples carry each label: {@code counts[label]}. */
    public int[] labelCounts() {
        int[] counts = new int[labelNames.size()];
        examples.forEach(e -> counts[e.label()]++);
        return counts;
    }

    /**
     * Only the examples of {@code classes}, relabelled {@code 0..classes.length-1} in the order given: for example
     * Fashion-MNIST classes 0-7 to pretrain on and 8-9 held out as a second downstream task.
     */
    public ImageDataset withClasses(int... classes) {
        int[] newLabel = new int[labelNames.size()];
        java.util.Arrays.fill(newLabel, -1);
        List<String> names = new ArrayList<>();
        for (int c : classes) {
            if (c < 0 || c >= labelNames.size() || newLabel[c] >= 0) {
                throw new IllegalArgumentException("Classes must be distinct and in [0, " + labelNames.size()
                        + "), found " + java.util.Arrays.toString(classes));
            }
            newLabel[c] = names.size();
            names.add(labelNames.get(c));
        }
        List<ImageExample> kept = new ArrayList<>();
        for (ImageExample e : examples) {
            if (newLabel[e.label()] >= 0) {
                kept.add(new ImageExample(e.pixels(), newLabel[e.label()]));
            }
        }
        return new ImageDataset(kept, names, rows, cols);
    }

    /** A seeded random subset of at most {@code max} examples (all, in order, when {@code max <= 0} or larger). */
    public ImageDataset sample(int max, long seed) {
        if (max <= 0 || max >= examples.size()) {
            return this;
        }
        List<ImageExample> shuffled = new ArrayList<>(examples);
        Collections.shuffle(shuffled, new Random(seed));
        return new ImageDataset(shuffled.subList(0, max), labelNames, rows, cols);
    }

    /** The first {@code count} examples after a seeded shuffle, and the rest: e.g. validation and train. */
    public List<ImageDataset> split(int count, long seed) {
        if (count <= 0 || count >= examples.size()) {
            throw new IllegalArgumentException("Split size must be in [1, " + (examples.size() - 1) + "], found "
                    + count);
        }
        List<ImageExample> shuffled = new ArrayList<>(examples);
        Collections.shuffle(shuffled, new Random(seed));
        return List.of(new ImageDataset(shuffled.subList(0, count), labelNames, rows, cols),
                new ImageDataset(shuffled.subList(count, shuffled.size()), labelNames, rows, cols));
    }

    @Override
    public String toString() {
        return "ImageDataset[" + examples.size() + " images of " + rows + " x " + cols + ", classes " + labelNames
                + "]";
    }
}
