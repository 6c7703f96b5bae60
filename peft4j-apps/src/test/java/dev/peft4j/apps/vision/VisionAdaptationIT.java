package dev.peft4j.apps.vision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.train.loop.TrainerConfig;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Transfer from the shipped Fashion-MNIST ViT to MNIST, kept to a minute or two: 3,000 training digits, one epoch of
 * 94 steps, LoLDU on all linear layers at full rank, tested on all 10,000 test digits. A random guess scores 0.10;
 * the full run (10,000 digits, 2 epochs, README) reaches 0.775 and a linear probe 0.459.
 */
class VisionAdaptationIT {

    @Test
    void lolduAdaptsThePretrainedVitToMnist() throws IOException {
        MethodSpec loldu = new MethodSpec("loldu", 64, null, null, List.of("all-linear"), false, Map.of());
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(1).optBatchSize(32).optLearningRate(0.005f)
                .optHeadLearningRate(0.005f).optSeed(42).build();
        VisionAdaptation.Report report = VisionAdaptation.run(new VisionAdaptation.Request(null,
                VisionAdaptation.Task.MNIST, loldu, trainer, 3_000, 500, 0, null), ArtifactCache.defaultCache());
        // r = 64 caps to 49 on the patch projection [64, 49]; 6 layers of 64 in each of the 4 blocks
        assertEquals(49 + 4 * 6 * 64, report.adapterParameters());
        assertEquals(10 * 64 + 10, report.headParameters());
        assertEquals(10_000, report.testExamples());
        assertTrue(report.result().test().accuracy() > 0.40, report.row());
    }
}
