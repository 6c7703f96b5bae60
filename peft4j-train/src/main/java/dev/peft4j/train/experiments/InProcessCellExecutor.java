package dev.peft4j.train.experiments;

import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.data.ArtifactCache;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.text.FineTuneJob;
import dev.peft4j.train.text.FineTuneRequest;
import dev.peft4j.train.text.MethodSpec;
import dev.peft4j.train.text.TaskSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Runs cells in this JVM (tests, notebooks); its peak-memory figure is the whole process's so far. */
public final class InProcessCellExecutor implements CellExecutor {

    private final ArtifactCache cache;

    public InProcessCellExecutor(ArtifactCache cache) {
        this.cache = cache;
    }

    @Override
    public CellResult run(ExperimentConfig config, ExperimentConfig.MethodRow row, String task, long seed, Path cellDir)
            throws IOException {
        ExperimentConfig.Defaults d = config.defaults();
        String metric = config.metricFor(task);
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(d.epochs()).optBatchSize(d.batchSize())
                .optLearningRate(row.lr() == null ? d.lr() : row.lr())
                .optHeadLearningRate(row.headLr() == null ? d.headLr() : row.headLr()).optSeed(seed)
                .optSelectionMetric(metric).optOutputDir(cellDir).build();
        MethodSpec method = new MethodSpec(row.method(), row.rank() == null ? 8 : row.rank(), row.alpha(), row.init(),
                row.targets() == null ? List.of("query", "value") : row.targets(), Boolean.TRUE.equals(row.trainSigma()),
                row.extra());
        FineTuneRequest request = new FineTuneRequest(PretrainedModel.fromId(config.model()), TaskSource.builtIn(task),
                method, trainer, d.maxLength(), SequenceClassifier.Pooling.MEAN, d.maxTrain(),
                cellDir.resolve("adapter"), SaveMode.COMPACT);
        TrainResult r = FineTuneJob.run(request, cache).result();
        return new CellResult(row.label(), row.groupOrMain(), task, seed, metric, r.test().get(metric),
                r.test().accuracy(), r.test().f1(), r.bestEpoch(), r.adapterParameters(), r.headParameters(),
                r.wallSeconds(), r.trainExamplesPerSecond(), RunMeasurements.peakRssMb(),
                RunMeasurements.adapterBytes(cellDir.resolve("adapter")));
    }
}
