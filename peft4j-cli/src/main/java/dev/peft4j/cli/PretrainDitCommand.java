package dev.peft4j.cli;

import dev.peft4j.apps.vision.DitPretraining;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.dit.DitConfig;
import dev.peft4j.train.loop.TrainerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code peft4j pretrain dit}: train a small class-conditional diffusion transformer from scratch on Fashion-MNIST or
 * MNIST with some classes held out (each keeps a spare, untrained row in the class table for personalisation), and
 * save it as {@code config.json} + {@code model.safetensors} with sample grids, the base for
 * {@code peft4j generate-image --model DIR}. No diffusion weights are reachable from these machines.
 */
@Command(name = "dit", mixinStandardHelpOptions = true,
        description = "Pretrain a small class-conditional diffusion transformer (DiT) from scratch on Fashion-MNIST or "
                + "MNIST, holding classes out, and save it with sample grids.")
final class PretrainDitCommand implements Callable<Integer> {

    /** The data sets on the command line. */
    enum DatasetName {
        FASHION_MNIST("fashion-mnist", DitPretraining.Dataset.FASHION_MNIST),
        MNIST("mnist", DitPretraining.Dataset.MNIST);

        private final String flag;
        private final DitPretraining.Dataset dataset;

        DatasetName(String flag, DitPretraining.Dataset dataset) {
            this.flag = flag;
            this.dataset = dataset;
        }

        @Override
        public String toString() {
            return flag;
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--output"}, required = true,
            description = "Output directory: config.json, model.safetensors, pretrain_result.json, samples/, run/.")
    Path output;

    @Option(names = "--dataset", defaultValue = "fashion-mnist", converter = DatasetConverter.class,
            description = "fashion-mnist or mnist (default: ${DEFAULT-VALUE}).")
    DatasetName dataset;

    @Option(names = "--hold-out", split = ",", defaultValue = "9",
            description = "Classes kept out of training entirely, e.g. 9 or 8,9; each gets a spare row in the class "
                    + "table, after the trained classes (default: ${DEFAULT-VALUE}, Fashion-MNIST's ankle boot).")
    List<Integer> holdOut;

    @Option(names = "--epochs", defaultValue = "20", description = "Epochs; the lowest validation loss is kept (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--lr", defaultValue = "0.0005", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}, as DiT).")
    float weightDecay;

    @Option(names = "--batch-size", defaultValue = "128", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--warmup", defaultValue = "0.05", description = "Warm-up fraction of steps (default: ${DEFAULT-VALUE}).")
    float warmup;

    @Option(names = "--max-train", defaultValue = "0",
            description = "Use at most this many training images (seeded subset), 0 for all (default: ${DEFAULT-VALUE}).")
    int maxTrain;

    @Option(names = "--validation", defaultValue = "2000",
            description = "Training images held out to pick the best epoch (default: ${DEFAULT-VALUE}).")
    int validation;

    @Option(names = "--max-test", defaultValue = "2000",
            description = "Test images of the trained classes for the final loss (seeded subset), 0 for all (default: ${DEFAULT-VALUE}).")
    int maxTest;

    @Option(names = "--hidden", defaultValue = "128", description = "Hidden size, a multiple of 4 and of --heads (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--layers", defaultValue = "4", description = "DiT blocks (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--heads", defaultValue = "4", description = "Attention heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--mlp", defaultValue = "512", description = "MLP width (default: ${DEFAULT-VALUE}, 4 x hidden as DiT).")
    int mlp;

    @Option(names = "--patch", defaultValue = "4", description = "Patch size, a divisor of 28 (default: ${DEFAULT-VALUE}).")
    int patch;

    @Option(names = "--frequency-size", defaultValue = "256", description = "Sinusoidal timestep features (default: ${DEFAULT-VALUE}, DiT's).")
    int frequencySize;

    @Option(names = "--samples-per-class", defaultValue = "16", description = "Images in each class's sample grid, 0 for none (default: ${DEFAULT-VALUE}).")
    int samplesPerClass;

    @Option(names = "--sample-steps", defaultValue = "50", description = "DDIM steps of the sample grids (default: ${DEFAULT-VALUE}).")
    int sampleSteps;

    @Option(names = "--guidance", defaultValue = "4", description = "Classifier-free guidance of the sample grids (default: ${DEFAULT-VALUE}, DiT's).")
    float guidance;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for init, split, order, noise, samples (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-every", defaultValue = "200",
            description = "Write a resumable checkpoint every this many steps (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue the interrupted run in --output from its last checkpoint.")
    boolean resume;

    @Option(names = "--overwrite", description = "Delete an earlier pretraining run's files in --output first.")
    boolean overwrite;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        engineOptions.apply();
        DitConfig model = new DitConfig(28, patch, 1, hidden, layers, heads, mlp, 1, frequencySize);
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(epochs).optLearningRate(learningRate)
                .optHeadLearningRate(learningRate).optWeightDecay(weightDecay).optBatchSize(batchSize)
                .optWarmupRatio(warmup).optSeed(seed).optCheckpointEvery(checkpointEvery).optResume(resume)
                .optOverwrite(overwrite).optProgress(true).build();
        int[] heldOut = holdOut.stream().mapToInt(Integer::intValue).toArray();
        String command = "peft4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        DitPretraining.Report report = DitPretraining.run(new DitPretraining.Request(model, trainer,
                dataset.dataset, heldOut, new DitPretraining.Split(validation, maxTrain, maxTest),
                new DitPretraining.Sampling(samplesPerClass, sampleSteps, guidance), command, output),
                ArtifactCache.defaultCache());
        var r = report.result();
        System.out.printf(Locale.ROOT, "%nDiT of %,d parameters | %d train images of %d classes, %d steps, best "
                + "epoch %d%n", report.parameters(), report.data().train().size(), report.data().trainedLabels(),
                report.steps(), r.bestEpoch());
        System.out.printf(Locale.ROOT, "validation noise MSE %.4f -> %.4f | test noise MSE %.4f on %d images%n",
                report.initialValidationLoss(), r.bestValidation().loss(), r.test().loss(),
                report.data().test().size());
        System.out.printf(Locale.ROOT, "class table: %s (null class %d)%n", report.data().classTable(),
                report.config().nullClass());
        System.out.printf(Locale.ROOT, "wall time %.0f s (training %.0f s, %.1f images/s); saved to %s%n",
                report.totalSeconds(), r.wallSeconds(), r.trainExamplesPerSecond(), output);
        return 0;
    }

    /** Reads {@code fashion-mnist} or {@code mnist}, case-insensitively, naming both on anything else. */
    static final class DatasetConverter implements picocli.CommandLine.ITypeConverter<DatasetName> {
        @Override
        public DatasetName convert(String value) {
            for (DatasetName name : DatasetName.values()) {
                if (name.flag.equalsIgnoreCase(value)) {
                    return name;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("expected fashion-mnist or mnist, found '" + value
                    + "'");
        }
    }
}
