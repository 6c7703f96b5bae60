package dev.peft4j.apps.diffusion;

import dev.peft4j.train.vision.ImageDataset;
import dev.peft4j.train.vision.ImageExample;
import dev.peft4j.train.vision.ImageSplit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The real images of one held-out concept, labelled with its spare row: a few shots to personalise on and a disjoint
 * validation set, both from the data set's training split (seeded), and the concept's images of the test split,
 * which nothing trains or chooses on.
 *
 * @param shots the images the model learns the concept from
 * @param validation other training images of the concept, never the shots: the figure learning rates are chosen by
 * @param test the concept's test-split images: the reported figure
 */
public record ConceptImages(List<ImageExample> shots, List<ImageExample> validation, List<ImageExample> test) {

    public ConceptImages {
        shots = List.copyOf(shots);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
    }

    /**
     * @param concept the concept's original class in {@code data}
     * @param spareLabel the model's row the images are labelled with
     * @param shots how many training images to learn from, at least 1
     * @param validation how many further training images to validate on, at least 1
     * @param maxTest at most this many test images (seeded subset), 0 for all
     * @param seed chooses the shots, the validation images and the test subset
     */
    public static ConceptImages of(ImageSplit data, int concept, int spareLabel, int shots, int validation,
            int maxTest, long seed) {
        List<String> names = data.train().labelNames();
        if (concept < 0 || concept >= names.size()) {
            throw new IllegalArgumentException("Concept " + concept + " is not a class of the data set, whose classes"
                    + " are 0-" + (names.size() - 1) + ": " + names);
        }
        if (shots < 1 || validation < 1) {
            throw new IllegalArgumentException("Expected at least 1 shot and 1 validation image, found " + shots
                    + " and " + validation);
        }
        List<ImageExample> train = new ArrayList<>(data.train().withClasses(concept).examples());
        if (shots + validation > train.size()) {
            throw new IllegalArgumentException(shots + " shots and " + validation + " validation images need "
                    + (shots + validation) + " training images of " + names.get(concept) + ", but the data set has "
                    + train.size() + "; ask for fewer");
        }
        Collections.shuffle(train, new Random(seed));
        ImageDataset test = data.test().withClasses(concept).sample(maxTest, seed);
        return new ConceptImages(relabel(train.subList(0, shots), spareLabel),
                relabel(train.subList(shots, shots + validation), spareLabel), relabel(test.examples(), spareLabel));
    }

    private static List<ImageExample> relabel(List<ImageExample> images, int label) {
        return images.stream().map(e -> new ImageExample(e.pixels(), label)).toList();
    }
}
