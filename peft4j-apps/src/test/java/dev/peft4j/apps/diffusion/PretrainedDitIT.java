package dev.peft4j.apps.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.apps.vision.DitTrainingData;
import dev.peft4j.apps.vision.FrechetVitDistance;
import dev.peft4j.apps.vision.VitJudge;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.dit.DitModel;
import dev.peft4j.models.dit.PretrainedDit;
import dev.peft4j.models.vit.PretrainedVit;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.diffusion.DiffusionObjective;
import dev.peft4j.train.diffusion.NoiseSchedule;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.vision.FashionMnist;
import dev.peft4j.train.vision.ImageExample;
import dev.peft4j.train.vision.ImageSplit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DiT shipped in peft4j-models loads from its id, reaches the test noise MSE its {@code pretrain_result.json}
 * records on the same seeded test images, and draws classes the shipped ViT recognises: T-shirts and trousers
 * generated from it are recognised far above chance and sit nearer their own class's real images than the other's.
 */
class PretrainedDitIT {

    @TempDir
    Path root;

    @Test
    void theShippedDitReachesItsRecordedTestLossAndDrawsRecognisableClasses() throws IOException {
        Path dir = PretrainedDit.resolve(PretrainedDit.Checkpoint.FASHION_MNIST.id(), root);
        assertEquals(dir, PretrainedDit.resolve(PretrainedDit.Checkpoint.FASHION_MNIST.id(), root),
                "a second resolve reuses the copy");
        JsonNode recorded = new ObjectMapper().readTree(dir.resolve(PretrainedDit.RESULT_FILE).toFile());
        DitBase base = DitBase.read(dir);
        ImageSplit data = base.dataset().load(ArtifactCache.defaultCache());
        DitTrainingData split = DitTrainingData.of(data, base.heldOut(), recorded.get("validation_examples").asInt(),
                0, recorded.get("test_examples").asInt(), recorded.get("seed").asLong());
        try (NDManager manager = NDManager.newBaseManager(); DitModel dit = PretrainedDit.load(
                PretrainedDit.Checkpoint.FASHION_MNIST, manager); VitModel vit = PretrainedVit.load(manager)) {
            assertEquals("dit-fashion-mnist", dit.baseModelNameOrPath());
            double loss = new Trainer<>(new DiffusionObjective(dit, Peft.empty(dit), NoiseSchedule.ddpmLinear(),
                    DiffusionObjective.DEFAULT_LABEL_DROPOUT), TrainerConfig.builder().optBatchSize(250)
                    .optSelectionMetric("loss").build())
                    .evaluate(split.test().examples()).loss();
            // the evaluation's noise and timesteps are seeded per image, so only the kernels' summation order
            // (thread count, CPU) differs from the recording run: far below 1e-3 of a loss near 0.05
            assertEquals(recorded.get("test_loss").asDouble(), loss, 1e-3, "test noise MSE on "
                    + split.test().size() + " images");

            VitJudge judge = new VitJudge(vit, FashionMnist.NORMALIZATION);
            List<DitQuality.ClassFigures> figures = DitQuality.measure(dit, base, data, judge, new int[] {0, 1}, 64,
                    new ImageSampling(20, 1f), 42); // guidance 1: the shipped DiT samples best without (README)
            FrechetVitDistance frechet = new FrechetVitDistance(vit, FashionMnist.NORMALIZATION);
            for (DitQuality.ClassFigures f : figures) {
                assertTrue(f.recognition() > 0.5, f.name() + ": " + f.recognition() + " of its samples recognised "
                        + "(chance 0.1)");
                int other = figures.get(1 - f.label()).originalClass();
                List<ImageExample> otherReal = data.test().examples().stream().filter(e -> e.label() == other)
                        .limit(500).toList();
                double toOther = frechet.between(f.generated(), otherReal);
                assertTrue(f.frechet() < toOther, f.name() + ": distance to its own class " + f.frechet()
                        + ", to class " + other + " " + toOther);
            }
        }
        assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")));
    }
}
