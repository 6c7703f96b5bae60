package dev.peft4j.apps.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.vit.PretrainedVit;
import dev.peft4j.models.vit.VitConfig;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.objective.ClassificationObjective;
import dev.peft4j.train.vision.FashionMnist;
import dev.peft4j.train.vision.ImageClassifier;
import dev.peft4j.train.vision.ImageSplit;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each ViT checkpoint shipped in peft4j-models loads and reaches, on the Fashion-MNIST test images of the classes it
 * was pretrained on (all 10,000 for {@code vit-fashion-mnist}), the test accuracy recorded when it was pretrained
 * (its {@code pretrain_result.json} and README), within one point.
 */
class PretrainedVitIT {

    @ParameterizedTest
    @EnumSource(PretrainedVit.Checkpoint.class)
    void shippedCheckpointReachesItsRecordedFashionMnistAccuracy(PretrainedVit.Checkpoint checkpoint)
            throws IOException {
        Map<?, ?> recorded;
        try (InputStream in = PretrainedVit.class.getResourceAsStream(checkpoint.resourceDir()
                + VitPretraining.RESULT_FILE)) {
            recorded = new ObjectMapper().readValue(in, Map.class);
        }
        double recordedAccuracy = ((Number) recorded.get("test_accuracy")).doubleValue();
        assertTrue(recordedAccuracy > 0.80, "the shipped model records " + recordedAccuracy);
        ImageSplit data = FashionMnist.load(ArtifactCache.defaultCache());
        if (recorded.containsKey("classes")) {
            data = data.withClasses(((java.util.List<?>) recorded.get("classes")).stream()
                    .mapToInt(c -> ((Number) c).intValue()).toArray());
        }
        assertEquals(((Number) recorded.get("test_examples")).intValue(), data.test().size());
        try (NDManager manager = NDManager.newBaseManager(); VitModel model = PretrainedVit.load(checkpoint, manager)) {
            assertEquals(VitConfig.small().withNumLabels(data.test().numLabels()),
                    model.config().withDropout(0.1f, 0f));
            ImageClassifier classifier = new ImageClassifier(model, Peft.empty(model), FashionMnist.NORMALIZATION,
                    0, 0);
            double accuracy = new Trainer<>(new ClassificationObjective<>(classifier), TrainerConfig.builder().optBatchSize(500).build())
                    .evaluate(data.test().examples()).accuracy();
            assertEquals(recordedAccuracy, accuracy, 0.01, "accuracy on the " + data.test().size() + " test images");
        }
    }
}
