package dev.peft4j.apps.diffusion;

import dev.peft4j.train.diffusion.NoisePredictor;
import dev.peft4j.train.vision.ImageExample;
import java.util.ArrayList;
import java.util.List;

/**
 * DreamBooth's prior-preservation images (Ruiz et al., <a href="https://arxiv.org/abs/2208.12242">paper</a>): images
 * the BASE model generates, before any training, of the classes it was trained on, with their labels. Training on
 * them beside the shots keeps the model generating its old classes while it learns the new one.
 */
final class PriorImages {

    private PriorImages() {
    }

    /**
     * {@code count} images spread over the labels {@code 0..trainedLabels-1} (the first {@code count % trainedLabels}
     * labels get one more), interleaved by label so that every batch's prior half mixes the classes; label
     * {@code l}'s chain is seeded by {@code seed * 7919 + l}.
     */
    static List<ImageExample> generate(NoisePredictor baseModel, ImageSampling sampling, int trainedLabels, int count,
            long seed) {
        List<List<ImageExample>> byLabel = new ArrayList<>();
        for (int label = 0; label < trainedLabels; label++) {
            int perLabel = count / trainedLabels + (label < count % trainedLabels ? 1 : 0);
            byLabel.add(perLabel == 0 ? List.of()
                    : sampling.generate(baseModel, label, perLabel, seed * 7_919L + label, label));
        }
        List<ImageExample> interleaved = new ArrayList<>(count);
        for (int i = 0; interleaved.size() < count; i++) {
            for (List<ImageExample> images : byLabel) {
                if (i < images.size()) {
                    interleaved.add(images.get(i));
                }
            }
        }
        return interleaved;
    }
}
