package dev.peft4j.cli;

import dev.peft4j.apps.vision.VitPretraining;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.vit.VitConfig;
import dev.peft4j.train.loop.TrainerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code peft4j pretrain vit}: train a small ViT from scratch on Fashion-MNIST (every parameter, through the
 * project's trainer) and save it as {@code config.json} + {@code model.safetensors}, the base for
 * {@code peft4j train --model DIR}. No pretrained ViT is reachable from these machines, so this makes one.
 */
@Command(name = "vit", mixinStandardHelpOptions = true,
        description = "Pretrain a small ViT from scratch on Fashion-MNIST and save it.")
final class PretrainVitCommand implements Callable<Integer> {

    @Option(names = {"-o", "--output"}, required = true,
            description = "Output directory: config.json, model.safetensors, pretrain_result.json, run/.")
    Path output;

    @Option(names = "--epochs", defaultValue = "8", description = "Epochs; the best on validation is kept (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--lr", defaultValue = "0.002", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--weight-decay", defaultValue = "0.0001", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--batch-size", defaultValue = "128", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--warmup", defaultValue = "0.05", description = "Warm-up fraction of steps (default: ${DEFAULT-VALUE}).")
    float warmup;

    @Option(names = "--max-train", defaultValue = "0",
            description = "Use at most this many training images (seeded subset), 0 for all 55,000 (default: ${DEFAULT-VALUE}).")
    int maxTrain;

    @Option(names = "--validation", defaultValue = "5000",
            description = "Training images held out to pick the best epoch (default: ${DEFAULT-VALUE}).")
    int validation;

    @Option(names = "--classes", split = ",",
            description = "Fashion-MNIST classes to train on, e.g. 0,1,2,3,4,5,6,7 (default: all ten).")
    List<Integer> classes;

    @Option(names = "--shift", defaultValue = "2", description = "Augmentation: random shift up to this many pixels (default: ${DEFAULT-VALUE}).")
    int shift;

    @Option(names = "--hidden", defaultValue = "64", description = "Hidden size (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--layers", defaultValue = "4", description = "Encoder blocks (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--heads", defaultValue = "4", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--mlp", defaultValue = "128", description = "MLP width (default: ${DEFAULT-VALUE}).")
    int mlp;

    @Option(names = "--patch", defaultValue = "7", description = "Patch size, a divisor of 28 (default: ${DEFAULT-VALUE}).")
    int patch;

    @Option(names = "--dropout", defaultValue = "0.1", description = "Hidden dropout (default: ${DEFAULT-VALUE}).")
    float dropout;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for init, split, order, dropout, shifts (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--overwrite", description = "Delete an earlier pretraining run's files in --output first.")
    boolean overwrite;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        engineOptions.apply();
        VitConfig model = new VitConfig(28, patch, 1, hidden, layers, heads, mlp, 10, 1e-6f, dropout, 0f);
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(epochs).optLearningRate(learningRate)
                .optHeadLearningRate(learningRate).optWeightDecay(weightDecay).optBatchSize(batchSize)
                .optWarmupRatio(warmup).optSeed(seed).optOverwrite(overwrite).optProgress(true).build();
        int[] chosen = classes == null ? new int[0] : classes.stream().mapToInt(Integer::intValue).toArray();
        VitPretraining.Report report = VitPretraining.run(
                new VitPretraining.Request(model, trainer, maxTrain, validation, chosen, shift, output),
                ArtifactCache.defaultCache());
        var r = report.result();
        System.out.printf(Locale.ROOT, "%nViT of %,d parameters | %d train images, best epoch %d%n",
                report.parameters(), report.trainExamples(), r.bestEpoch());
        System.out.printf(Locale.ROOT, "Fashion-MNIST test accuracy %.4f on %d images | validation accuracy %.4f%n",
                r.test().accuracy(), report.testExamples(), r.bestValidation().accuracy());
        System.out.printf(Locale.ROOT, "wall time %.0f s (training %.0f s, %.1f images/s); saved to %s%n",
                report.totalSeconds(), r.wallSeconds(), r.trainExamplesPerSecond(), output);
        return 0;
    }
}
