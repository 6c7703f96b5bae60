package dev.peft4j.cli;

import dev.peft4j.core.adapter.AdapterRegistry;
import dev.peft4j.train.data.ArtifactCache;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.text.MethodSpec;
import dev.peft4j.train.vision.VisionAdaptation;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code peft4j adapt-vit}: adapt the ViT pretrained on Fashion-MNIST to MNIST (or to the Fashion-MNIST classes
 * held out of pretraining) with a PEFT method, and print trainable parameters, test accuracy and wall time.
 */
@Command(name = "adapt-vit", mixinStandardHelpOptions = true,
        description = "Adapt the pretrained ViT to an image task with a PEFT method and report test accuracy.")
final class AdaptVitCommand implements Callable<Integer> {

    @Option(names = "--base", description = "Directory written by 'peft4j pretrain vit' (default: the checkpoint shipped in the jar).")
    Path base;

    @Option(names = "--task", defaultValue = "MNIST", description = "MNIST or FASHION_HELDOUT (classes 8, 9) (default: ${DEFAULT-VALUE}).")
    VisionAdaptation.Task task;

    @Option(names = "--method", defaultValue = "loldu", description = "PEFT method id (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = {"-r", "--rank"}, defaultValue = "64", description = "Rank r (default: ${DEFAULT-VALUE}; LoLDU caps it per layer).")
    int rank;

    @Option(names = "--alpha", description = "Scale numerator (default: alpha = r).")
    Float alpha;

    @Option(names = "--targets", split = ",", defaultValue = "all-linear",
            description = "Target modules, comma-separated, or all-linear (default: ${DEFAULT-VALUE}).")
    List<String> targets;

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

    @Option(names = {"-o", "--output"}, description = "Directory for the adapter (and head).")
    Path output;

    @Override
    public Integer call() throws Exception {
        if (!AdapterRegistry.defaultRegistry().methods().containsKey(method)) {
            throw new IllegalArgumentException("Invalid value for option '--method': '" + method + "'; accepted: "
                    + AdapterRegistry.defaultRegistry().methods().keySet());
        }
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(epochs).optLearningRate(learningRate)
                .optHeadLearningRate(headLearningRate).optBatchSize(batchSize).optSeed(seed).optProgress(true).build();
        MethodSpec spec = new MethodSpec(method, rank, alpha, null, targets, false, Map.of());
        VisionAdaptation.Report report = VisionAdaptation.run(new VisionAdaptation.Request(base, task, spec, trainer,
                maxTrain, validation, shift, output), ArtifactCache.defaultCache());
        System.out.printf(Locale.ROOT, "%n%s on %d train images%n", task, report.trainExamples());
        System.out.println(report.row());
        return 0;
    }
}
