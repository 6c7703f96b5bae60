package dev.peft4j.apps.experiments;

import dev.peft4j.apps.diffusion.ConceptMethod;
import dev.peft4j.apps.diffusion.ConceptTasks;
import dev.peft4j.apps.diffusion.DitPersonalisation;
import dev.peft4j.apps.diffusion.ImageSampling;
import dev.peft4j.apps.diffusion.PersonalisationMetrics;
import dev.peft4j.apps.instruct.InstructionSource;
import dev.peft4j.apps.instruct.InstructionTuningJob;
import dev.peft4j.apps.instruct.InstructionTuningRequest;
import dev.peft4j.apps.text.FineTuneJob;
import dev.peft4j.apps.text.FineTuneRequest;
import dev.peft4j.apps.text.TaskSource;
import dev.peft4j.apps.vision.VisionAdaptation;
import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.core.precision.Precision;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.TrainerConfig;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Runs cells in this JVM (tests, notebooks): text tasks through {@link FineTuneJob}, image tasks through
 * {@link VisionAdaptation}, a decoder's instruction tasks through {@link InstructionTuningJob}, a DiT's concepts
 * through {@link DitPersonalisation}. Its peak-memory figure is the whole process's so far.
 */
public final class InProcessCellExecutor implements CellExecutor {

    private final ArtifactCache cache;

    public InProcessCellExecutor(ArtifactCache cache) {
        this.cache = cache;
    }

    @Override
    public CellResult run(ExperimentConfig config, ExperimentConfig.MethodRow row, String task, long seed, Path cellDir)
            throws IOException {
        String precision = config.defaults().precision();
        if (precision == null) {
            return runCell(config, row, task, seed, cellDir);
        }
        // the grid's arithmetic for this cell's models only, as the command line's --precision sets it per process
        Precision before = Precision.defaultForNewModels();
        Precision.setDefaultForNewModels(Precision.parse(precision));
        try {
            return runCell(config, row, task, seed, cellDir);
        } finally {
            Precision.setDefaultForNewModels(before);
        }
    }

    private CellResult runCell(ExperimentConfig config, ExperimentConfig.MethodRow row, String task, long seed,
            Path cellDir) throws IOException {
        ExperimentConfig.Defaults d = config.defaults();
        String metric = config.metricFor(task);
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(d.epochs()).optBatchSize(d.batchSize())
                .optLearningRate(row.lrOr(d)).optHeadLearningRate(row.headLrOr(d)).optSeed(seed)
                .optSelectionMetric(metric).optOutputDir(cellDir).optEvalEvery(row.evalEvery(d))
                .optOverwrite(true).build(); // a cell without a result restarts from scratch
        if (config.isDiffusion()) {
            return CellResult.ofPersonalisation(row.label(), row.groupOrMain(), task, seed,
                    DitPersonalisation.run(personalisation(config, row, task, trainer, cellDir), cache));
        }
        Path adapterDir = cellDir.resolve("adapter");
        if (config.isDecoder()) {
            InstructionTuningJob.Report report = InstructionTuningJob.run(new InstructionTuningRequest(config.model(),
                    InstructionSource.builtIn(task), row.methodSpec(), trainer, d.promptStyleOrDefault(), d.maxLength(),
                    d.maxNewTokensOrDefault(), d.maxTrain(), d.maxEvalOrDefault(), adapterDir), cache);
            return CellResult.ofInstructionTuning(row.label(), row.groupOrMain(), task, seed, report, adapterDir);
        }
        TrainResult r;
        if (config.isVision()) {
            r = VisionAdaptation.run(new VisionAdaptation.Request(config.vitBase(), VisionAdaptation.Task.fromId(task),
                    row.methodSpec(), trainer, d.maxTrain(), d.validationOrDefault(), 0, adapterDir), cache).result();
        } else {
            r = FineTuneJob.run(new FineTuneRequest(PretrainedModel.fromId(config.model()), TaskSource.builtIn(task),
                    row.methodSpec(), trainer, d.maxLength(), SequenceClassifier.Pooling.MEAN, d.maxTrain(), adapterDir,
                    SaveMode.COMPACT, row.probeSolver()), cache).result();
        }
        return CellResult.of(row.label(), row.groupOrMain(), task, seed, metric, r, adapterDir);
    }

    /** A DiT grid's cell as a personalisation run; no warm-up, as {@code peft4j personalise} runs it. */
    static DitPersonalisation.Request personalisation(ExperimentConfig config, ExperimentConfig.MethodRow row,
            String task, TrainerConfig trainer, Path cellDir) {
        ExperimentConfig.Personalisation p = config.defaults().personalisationOrDefault();
        return new DitPersonalisation.Request(config.ditBase(), ConceptTasks.classOf(task),
                new DitPersonalisation.Data(p.shots(), p.validationImages(), p.maxTest()),
                new ConceptMethod(row.methodSpec()), p.steps(), row.priorImagesOrZero(),
                trainer.toBuilder().optWarmupRatio(0f).build(), new PersonalisationMetrics.Evaluation(p.samples(),
                        p.priorSamples(), new ImageSampling(p.sampleSteps(), p.guidance()), p.sampleSeed()), cellDir);
    }
}
