package dev.peft4j.train.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.models.dit.DitModel;
import dev.peft4j.train.metrics.EvaluatedBatch;
import dev.peft4j.train.vision.ImageExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The DDPM objective's loss: what it measures, and that its draws are repeatable. */
class DiffusionObjectiveTest {

    private static List<ImageExample> images(int count, long seed) {
        Random random = new Random(seed);
        List<ImageExample> examples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] pixels = new byte[784];
            random.nextBytes(pixels);
            examples.add(new ImageExample(pixels, i % 10));
        }
        return examples;
    }

    @Test
    void anUntrainedModelScoresTheNoiseVariance() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = DitModel.randomTiny(1, manager)) {
            DiffusionObjective objective = new DiffusionObjective(model, Peft.empty(model),
                    NoiseSchedule.ddpmLinear(), DiffusionObjective.DEFAULT_LABEL_DROPOUT);
            EvaluatedBatch<Void> scored = objective.evaluate(images(8, 1), manager);
            assertEquals(8, scored.lossUnits());
            assertNull(scored.outputs());
            // the model predicts 0, so the loss is mean(eps^2) over 8 x 784 standard normal draws: 1 with a standard
            // deviation of sqrt(2 / 6272) = 0.018; 0.1 is over five of them
            assertEquals(1.0, scored.lossSum() / 8, 0.1);
        }
    }

    @Test
    void evaluationDrawsDependOnTheImageNotTheBatch() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = TinyDits.perturbed(2, manager)) {
            DiffusionObjective objective = new DiffusionObjective(model, Peft.empty(model),
                    NoiseSchedule.ddpmLinear(), 0.1f);
            List<ImageExample> data = images(6, 2);
            double whole = objective.evaluate(data, manager).lossSum();
            double split = objective.evaluate(data.subList(0, 2), manager).lossSum()
                    + objective.evaluate(data.subList(2, 6), manager).lossSum();
            // the same per-image errors summed in another grouping, each partial mean rounded to float32: 1e-5
            assertEquals(whole, split, 1e-5 * whole);
            assertEquals(whole, objective.evaluate(data, manager).lossSum(), 0.0, "a fixed seed: the same loss again");
        }
    }

    @Test
    void trainingDrawsFollowTheEngineSeed() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = TinyDits.perturbed(3, manager)) {
            DiffusionObjective objective = new DiffusionObjective(model, Peft.empty(model),
                    NoiseSchedule.ddpmLinear(), 0.1f);
            List<ImageExample> batch = images(4, 3);
            Engine.getInstance().setRandomSeed(5); // what the trainer does before each micro-batch
            float first = objective.trainingLoss(batch, manager).getFloat();
            Engine.getInstance().setRandomSeed(5);
            assertEquals(first, objective.trainingLoss(batch, manager).getFloat(), 0f);
            Engine.getInstance().setRandomSeed(6);
            assertNotEquals(first, objective.trainingLoss(batch, manager).getFloat());
        }
    }

    @Test
    void droppedLabelsBecomeTheNullClass() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = TinyDits.perturbed(4, manager)) {
            List<ImageExample> batch = images(4, 4);
            List<ImageExample> relabelled = batch.stream().map(e -> new ImageExample(e.pixels(), 5)).toList();
            for (float dropout : new float[] {0f, 0.9999f}) {
                DiffusionObjective objective = new DiffusionObjective(model, Peft.empty(model),
                        NoiseSchedule.ddpmLinear(), dropout);
                Engine.getInstance().setRandomSeed(7);
                float original = objective.trainingLoss(batch, manager).getFloat();
                Engine.getInstance().setRandomSeed(7);
                float other = objective.trainingLoss(relabelled, manager).getFloat();
                if (dropout == 0f) {
                    assertNotEquals(original, other, "kept labels condition the prediction");
                } else {
                    // (0.9999)^4: every label dropped, so the labels the images had no longer matter
                    assertEquals(original, other, 0f);
                }
            }
        }
    }

    @Test
    void rejectsALabelDropoutOfOne() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = DitModel.randomTiny(1, manager)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DiffusionObjective(
                    model, Peft.empty(model), NoiseSchedule.ddpmLinear(), 1f));
            assertEquals("labelDropout must be in [0, 1), found 1.0; 0.1 is DiT's", e.getMessage());
        }
    }
}
