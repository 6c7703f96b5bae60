package dev.peft4j.cli;

import dev.peft4j.train.data.ArtifactCache;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.text.MethodSpec;
import dev.peft4j.train.vision.VisionAdaptation;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code peft4j adapt-vit}: adapt the ViT pretrained on Fashion-MNIST to MNIST (or to the Fashion-MNIST classes
 * held out of pretraining) with a PEFT method, and print trainable parameters, test accuracy and wall time.
 */
@Command(name = "adapt-vit", mixinStandardHelpOptions = true,
        description = "Adapt the pretrained ViT to an image task with a PEFT method and report test accuracy.")
final class AdaptVitCommand implements Callable<Integer> {

    @Option(names = "--base", defaultValue = "vit-fashion-mnist", description = "Shipped checkpoint (vit-fashion-mnist,"
            + " vit-fashion-mnist-0to4) or a directory written by 'peft4j pretrain vit' (default: ${DEFAULT-VALUE}).")
    String base;

    @Option(names = "--task", defaultValue = "MNIST", description = "MNIST, or FASHION_HELDOUT (Fashion-MNIST classes"
            + " 5-9, for the base vit-fashion-mnist-0to4) (default: ${DEFAULT-VALUE}).")
    VisionAdaptation.Task task;

    @Mixin
    MethodOptions methodOptions;

    @Option(names = "--lr", defaultValue = "0.01", description = "Adapter learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--head-lr", defaultValue = "0.005", description = "Head learning rate (default: ${DEFAULT-VALUE}).")
    float headLearningRate;

    @Option(names = "--epochs", defaultValue = "2", description = "Epochs (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "64", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--max-train", defaultValue = "10000", description = "Training images (seeded subset), 0 for all (default: ${DEFAULT-VALUE}).")
    int maxTrain;

    @Option(names = "--validation", defaultValue = "2000", description = "Training images held out to pick the best epoch (default: ${DEFAULT-VALUE}).")
    int validation;

    @Option(names = "--shift", defaultValue = "0", description = "Augmentation: random shift up to this many pixels (default: ${DEFAULT-VALUE}).")
    int shift;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--output"}, description = "Output directory: adapter (and head), metrics.jsonl, checkpoints.")
    Path output;

    @Mixin
    ResultOptions resultOptions;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        engineOptions.apply();
        MethodSpec spec = methodOptions.spec();
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(epochs).optLearningRate(learningRate)
                .optHeadLearningRate(headLearningRate).optBatchSize(batchSize).optSeed(seed).optOutputDir(output)
                .optProgress(true).build();
        Path adapterDir = output == null ? null : output.resolve("adapter");
        VisionAdaptation.Report report = VisionAdaptation.run(new VisionAdaptation.Request(base, task, spec, trainer,
                maxTrain, validation, shift, adapterDir), ArtifactCache.defaultCache());
        System.out.printf(Locale.ROOT, "%n%s on %d train images%n", task, report.trainExamples());
        System.out.println(report.row());
        resultOptions.write(spec.method(), task.id(), seed, "accuracy", report.result(), adapterDir);
        return 0;
    }
}
