package dev.peft4j.apps.vision;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.core.method.full.FullFineTuneConfig;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.vit.VitConfig;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.metrics.Evaluators;
import dev.peft4j.train.objective.ClassificationObjective;
import dev.peft4j.train.vision.FashionMnist;
import dev.peft4j.train.vision.ImageClassifier;
import dev.peft4j.train.vision.ImageDataset;
import dev.peft4j.train.vision.ImageSplit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pretrains a ViT from scratch on Fashion-MNIST through the project's own {@link Trainer}: the model is wrapped
 * with the {@code full} method (every parameter trains in place, head included), the best epoch on a held-out
 * validation part of the training set is kept, test accuracy is measured on the official 10,000 test images (or
 * those of the chosen classes), and the model is saved as {@code config.json} + {@code model.safetensors} with
 * {@code pretrain_result.json}.
 */
public final class VitPretraining {

    /** The file with the run's request and measured accuracy, beside the weights. */
    public static final String RESULT_FILE = "pretrain_result.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private VitPretraining() {
    }

    /**
     * One pretraining run.
     *
     * @param model the ViT's shape; its label count is replaced by the number of classes trained on
     * @param trainer optimiser, epochs, batch size, seed (also seeds init, splits and augmentation)
     * @param maxTrain use at most this many training images (seeded subset), 0 for all 55,000 after validation
     * @param validation images held out of Fashion-MNIST's training set to pick the best epoch
     * @param classes Fashion-MNIST classes to train on (relabelled in this order); empty for all ten
     * @param maxShift training augmentation: random shift of up to this many pixels (0: none)
     * @param outputDir where the model is saved (the trainer's metrics and checkpoints go to {@code outputDir/run})
     */
    public record Request(VitConfig model, TrainerConfig trainer, int maxTrain, int validation, int[] classes,
            int maxShift, Path outputDir) {
    }

    /** What a run produced. */
    public record Report(TrainResult result, int trainExamples, int testExamples, long parameters,
            double totalSeconds) {
    }

    public static Report run(Request request, ArtifactCache cache) throws IOException {
        // an unknown selection metric fails here, before loading images
        Evaluators.find(request.trainer().selectionMetric(), ClassificationObjective.standardEvaluators());
        long start = System.nanoTime();
        long seed = request.trainer().seed();
        ImageSplit data = FashionMnist.load(cache);
        if (request.classes().length > 0) {
            data = data.withClasses(request.classes());
        }
        List<ImageDataset> parts = data.train().split(request.validation(), seed);
        ImageDataset train = parts.get(1).sample(request.maxTrain(), seed);
        VitConfig config = request.model().withNumLabels(data.train().numLabels());
        TrainerConfig trainerConfig = request.trainer().toBuilder()
                .optOutputDir(request.outputDir() == null ? null : request.outputDir().resolve("run")).build();
        try (NDManager manager = NDManager.newBaseManager();
                VitModel model = VitModel.random(config, seed, manager)) {
            PeftModel peft = Peft.wrap(model, FullFineTuneConfig.builder().build());
            long parameters = peft.adapterParameters().values().stream().mapToLong(t -> t.getShape().size()).sum();
            System.err.println("peft4j: pretraining a ViT of " + parameters + " parameters on " + train.size()
                    + " Fashion-MNIST images (" + data.train().labelNames().size() + " classes)");
            ImageClassifier classifier = new ImageClassifier(model, peft, FashionMnist.NORMALIZATION,
                    request.maxShift(), seed);
            TrainResult result = new Trainer<>(new ClassificationObjective<>(classifier), trainerConfig)
                    .fit(train.examples(), parts.get(0).examples(), data.test().examples());
            peft.mergeAndUnload(); // keeps the trained values in the model's own tensors
            Report report = new Report(result, train.size(), data.test().size(), parameters,
                    (System.nanoTime() - start) / 1e9);
            if (request.outputDir() != null && !result.stopped()) {
                model.save(request.outputDir());
                writeResult(request, report, data.train().labelNames());
            }
            return report;
        }
    }

    private static void writeResult(Request request, Report report, List<String> labelNames) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("data", "Fashion-MNIST (Debian " + FashionMnist.DEBIAN_PACKAGE + ")");
        json.put("label_names", labelNames);
        json.put("classes", request.classes().length > 0 ? request.classes()
                : java.util.stream.IntStream.range(0, labelNames.size()).toArray());
        json.put("train_examples", report.trainExamples());
        json.put("validation_examples", request.validation());
        json.put("test_examples", report.testExamples());
        json.put("test_accuracy", report.result().test().accuracy());
        json.put("best_epoch", report.result().bestEpoch());
        json.put("validation_accuracy", report.result().bestValidation().accuracy());
        json.put("parameters", report.parameters());
        json.put("epochs", request.trainer().epochs());
        json.put("learning_rate", request.trainer().learningRate());
        json.put("weight_decay", request.trainer().weightDecay());
        json.put("batch_size", request.trainer().batchSize());
        json.put("seed", request.trainer().seed());
        json.put("max_shift", request.maxShift());
        json.put("normalization", Map.of("mean", FashionMnist.NORMALIZATION.mean(),
                "std", FashionMnist.NORMALIZATION.std()));
        json.put("wall_seconds", report.totalSeconds());
        Files.createDirectories(request.outputDir());
        AtomicFiles.writeString(request.outputDir().resolve(RESULT_FILE), JSON.writeValueAsString(json));
    }
}
