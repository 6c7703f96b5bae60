package dev.peft4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.apps.vision.DitPretraining;
import dev.peft4j.apps.vision.DitTrainingData;
import dev.peft4j.core.adapter.LoadOptions;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.dit.DitModel;
import dev.peft4j.models.dit.PretrainedDit;
import dev.peft4j.train.diffusion.DdimSampler;
import dev.peft4j.train.diffusion.ImageGrid;
import dev.peft4j.train.diffusion.NoisePredictor;
import dev.peft4j.train.diffusion.NoiseSchedule;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code peft4j generate-image}: samples images of one class from a class-conditional DiT (optionally under a peft4j
 * adapter) with DDIM and classifier-free guidance, and writes them as one PNG grid.
 */
@Command(name = "generate-image", mixinStandardHelpOptions = true,
        description = "Generate images of one class with a diffusion transformer saved by 'peft4j pretrain dit' "
                + "(a directory) or the shipped one (dit-fashion-mnist), optionally under an adapter, into a PNG grid.")
final class GenerateImageCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "The shipped DiT's id (dit-fashion-mnist) or a directory "
            + "with config.json and model.safetensors of a DiT (from 'peft4j pretrain dit').")
    String model;

    @Option(names = "--adapter", description = "An adapter directory saved by peft4j for this model.")
    Path adapter;

    @Option(names = "--allow-other-base", description = "Load the adapter even if the base's fingerprints differ "
            + "(one warning instead of an error).")
    boolean allowOtherBase;

    @Option(names = "--class", required = true, description = "The label to generate, a row of the model's class "
            + "table (pretrain_result.json's class_table).")
    int label;

    @Option(names = "--count", defaultValue = "16", description = "Images to generate (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--steps", defaultValue = "50", description = "DDIM steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "4", description = "Classifier-free guidance scale; 1 = the "
            + "conditional prediction alone (default: ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--columns", defaultValue = "8", description = "Images per row of the grid (default: ${DEFAULT-VALUE}).")
    int columns;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the initial noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--output"}, required = true, description = "The PNG file to write.")
    Path output;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        engineOptions.apply();
        if (count < 1) {
            throw new IllegalArgumentException("--count must be >= 1, found " + count);
        }
        if (columns < 1) {
            throw new IllegalArgumentException("--columns must be >= 1, found " + columns);
        }
        DdimSampler sampler = new DdimSampler(NoiseSchedule.ddpmLinear(), steps); // checks --steps first
        Path dir = PretrainedDit.resolve(model, ArtifactCache.defaultCache().root());
        try (NDManager manager = NDManager.newBaseManager(); DitModel dit = DitModel.load(dir, manager)) {
            List<String> names = DitPretraining.classNames(dir, dit.config().numClasses());
            if (label < 0 || label >= names.size()) {
                throw new IllegalArgumentException("Class " + label + " is not in this DiT's class table, which has "
                        + names.size() + " classes: " + table(names) + " (label " + dit.nullClass()
                        + " is the null class of classifier-free guidance, not a class); pick one of 0-"
                        + (names.size() - 1));
            }
            if (adapter == null && names.get(label).endsWith(DitTrainingData.SPARE)) {
                System.err.println("peft4j: class " + label + " is a held-out class's spare row, never trained: "
                        + "without an adapter that binds it (--adapter) the images show no learned class");
            }
            if (adapter != null) {
                PeftModel.load(dit, adapter, false, LoadOptions.strict().withAllowOtherBase(allowOtherBase));
            }
            int[] labels = new int[count];
            Arrays.fill(labels, label);
            long start = System.nanoTime();
            NDArray images = sampler.sample(NoisePredictor.of(dit, null),
                    labels, guidance, seed, manager);
            ImageGrid.write(images, Math.min(columns, count), output);
            System.out.printf(Locale.ROOT, "%d images of class %d (%s)%s, %d DDIM steps, guidance %s, seed %d, in "
                    + "%.1f s: %s%n", count, label, names.get(label), adapter == null ? "" : " under " + adapter,
                    sampler.timesteps().length, guidance, seed, (System.nanoTime() - start) / 1e9, output);
        }
        return 0;
    }

    private static String table(List<String> names) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            text.append(i == 0 ? "" : ", ").append(i).append(' ').append(names.get(i));
        }
        return text.toString();
    }
}
