package dev.peft4j.train.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.method.full.FullFineTuneConfig;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.models.vit.VitConfig;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.objective.ClassificationObjective;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The image classifier on a tiny ViT: augmentation only in training, and the trainer fits it. */
class ImageClassifierTest {

    /** Class 0: a bright square top-left; class 1: bottom-right. Noise makes every image different. */
    private static List<ImageExample> squares(int count, long seed) {
        Random random = new Random(seed);
        List<ImageExample> examples = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int label = i % 2;
            byte[] pixels = new byte[784];
            for (int p = 0; p < pixels.length; p++) {
                pixels[p] = (byte) random.nextInt(40);
            }
            int offset = label == 0 ? 3 : 17;
            for (int y = offset; y < offset + 8; y++) {
                for (int x = offset; x < offset + 8; x++) {
                    pixels[y * 28 + x] = (byte) 255;
                }
            }
            examples.add(new ImageExample(pixels, label));
        }
        return examples;
    }

    @Test
    void shiftsOnlyTrainingImages() {
        try (NDManager manager = NDManager.newBaseManager();
                VitModel model = VitModel.random(VitConfig.tiny().withDropout(0f, 0f), 1, manager)) {
            PeftModel peft = Peft.empty(model);
            List<ImageExample> batch = squares(4, 1);
            ImageClassifier plain = new ImageClassifier(model, peft, Mnist.NORMALIZATION, 0, 1);
            ImageClassifier shifting = new ImageClassifier(model, peft, Mnist.NORMALIZATION, 2, 1);
            float[] reference = plain.logits(batch, manager, true).toFloatArray();
            assertArrayEquals(reference, shifting.logits(batch, manager, false).toFloatArray(), 0f);
            NDArray shifted = shifting.logits(batch, manager, true);
            assertNotEquals(0f, shifted.sub(manager.create(reference, shifted.getShape())).abs().max().getFloat());
        }
    }

    @Test
    void rejectsAnAbsurdShift() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(1, manager)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new ImageClassifier(model, Peft.empty(model), Mnist.NORMALIZATION, 28, 1));
            assertEquals("maxShift must be in [0, 28), found 28", e.getMessage());
        }
    }

    @Test
    void theTrainerFitsATinyVitFromScratch() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(3, manager)) {
            PeftModel peft = Peft.wrap(model, FullFineTuneConfig.builder().build());
            ImageClassifier classifier = new ImageClassifier(model, peft, Mnist.NORMALIZATION, 1, 3);
            TrainerConfig config = TrainerConfig.builder().optEpochs(4).optBatchSize(16).optLearningRate(0.003f)
                    .optSeed(3).build();
            TrainResult result = new Trainer<>(new ClassificationObjective<>(classifier), config).fit(squares(128, 4), squares(64, 5),
                    squares(64, 6));
            assertEquals(1.0, result.test().accuracy(), 0.05, "two well separated classes");
        }
    }

    @Test
    void allLinearLolduTrainsOneZPerLayer() {
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = VitModel.randomTiny(3, manager)) {
            PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(64).optTargetModules("all-linear")
                    .optModulesToSave("classifier").build());
            // r = 64 is capped to min(out, in) = 32 in every layer: patch projection plus 2 x 6 in the blocks
            assertEquals(13 * 32, peft.adapterParameters().values().stream().mapToLong(t -> t.getShape().size()).sum());
            assertEquals(10 * 32 + 10,
                    peft.headParameters().values().stream().mapToLong(t -> t.getShape().size()).sum());
        }
    }
}
