package dev.peft4j.apps.diffusion;

import dev.peft4j.apps.vision.DitPretraining;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.dit.DitConfig;
import dev.peft4j.train.loop.TrainerConfig;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The tests' base: a tiny DiT (hidden 32, 2 blocks, patch 7) pretrained in the test on 320 real Fashion-MNIST
 * images with class 9 (ankle boot) held out, as {@code DitCommandsTest} does through the command line: 4 epochs of
 * 20 batches of 16, about half a minute on 2 cores.
 */
final class TinyDit {

    private TinyDit() {
    }

    /** Pretrains into {@code dir} and returns it. */
    static Path pretrain(Path dir) throws IOException {
        DitConfig shape = new DitConfig(28, 7, 1, 32, 2, 4, 64, 1, 32);
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(4).optBatchSize(16).optLearningRate(0.002f)
                .optHeadLearningRate(0.002f).optWarmupRatio(0.05f).optSeed(5).build();
        DitPretraining.run(new DitPretraining.Request(shape, trainer, DitPretraining.Dataset.FASHION_MNIST,
                new int[] {9}, new DitPretraining.Split(64, 320, 64), new DitPretraining.Sampling(0, 5, 4f),
                "TinyDit.pretrain", dir), ArtifactCache.defaultCache());
        return dir;
    }
}
