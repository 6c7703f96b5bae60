package dev.peft4j.cli;

import ai.djl.ndarray.NDManager;
import dev.peft4j.apps.diffusion.DitBase;
import dev.peft4j.apps.diffusion.DitQuality;
import dev.peft4j.apps.diffusion.ImageSampling;
import dev.peft4j.apps.vision.VitJudge;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.dit.DitModel;
import dev.peft4j.models.dit.PretrainedDit;
import dev.peft4j.models.vit.PretrainedVit;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.vision.FashionMnist;
import dev.peft4j.train.vision.ImageSplit;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code peft4j eval-dit}: the quality of a pretrained DiT class by class, judged by the shipped ViT (recognition and
 * the Fréchet ViT distance to the real test images, each beside its real-image reference).
 */
@Command(name = "eval-dit", mixinStandardHelpOptions = true,
        description = "Measure a pretrained DiT per trained class: the share of its samples the shipped ViT "
                + "recognises, and the Fréchet ViT distance to the real test images beside the real-versus-real floor.")
final class EvalDitCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "dit-fashion-mnist",
            description = "The shipped DiT's id or a directory written by 'peft4j pretrain dit' (default: "
                    + "${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--per-class", defaultValue = "200",
            description = "Images generated per class (and real images in the floor) (default: ${DEFAULT-VALUE}).")
    int perClass;

    @Option(names = "--steps", defaultValue = "50", description = "DDIM steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "4", description = "Classifier-free guidance (default: ${DEFAULT-VALUE}).")
    float guidance;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the samples (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        engineOptions.apply();
        OptionChecks.atLeast("--per-class", perClass, 2);
        ImageSampling sampling = new ImageSampling(steps, guidance);
        ArtifactCache cache = ArtifactCache.defaultCache();
        Path dir = PretrainedDit.resolve(model, cache.root());
        DitBase base = DitBase.read(dir);
        ImageSplit data = base.dataset().load(cache);
        long start = System.nanoTime();
        List<DitQuality.ClassFigures> figures;
        try (NDManager manager = NDManager.newBaseManager(); DitModel dit = DitModel.load(dir, manager);
                VitModel vit = PretrainedVit.load(manager)) {
            figures = DitQuality.measure(dit, base, data, new VitJudge(vit, FashionMnist.NORMALIZATION),
                    IntStream.range(0, base.trainedLabels()).toArray(), perClass, sampling, seed);
        }
        System.out.printf(Locale.ROOT, "%s: %d images per class, %d DDIM steps, guidance %s, seed %d; judged by %s%n%n",
                model, perClass, steps, guidance, seed, PretrainedVit.Checkpoint.FASHION_MNIST.id());
        System.out.println("| label | class | recognised (generated) | recognised (real) | Fréchet ViT distance | "
                + "real-vs-real floor |");
        System.out.println("|---:|---|---:|---:|---:|---:|");
        double recognition = 0;
        double real = 0;
        double frechet = 0;
        double floor = 0;
        for (DitQuality.ClassFigures f : figures) {
            System.out.printf(Locale.ROOT, "| %d | %s | %.3f | %.3f | %.2f | %.2f |%n", f.label(), f.name(),
                    f.recognition(), f.realRecognition(), f.frechet(), f.floor());
            recognition += f.recognition() / figures.size();
            real += f.realRecognition() / figures.size();
            frechet += f.frechet() / figures.size();
            floor += f.floor() / figures.size();
        }
        System.out.printf(Locale.ROOT, "| | mean | %.3f | %.3f | %.2f | %.2f |%n%nin %.0f s%n", recognition, real,
                frechet, floor, (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
