package dev.peft4j.cli;

import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.train.data.ArtifactCache;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.text.FineTuneJob;
import dev.peft4j.train.text.FineTuneRequest;
import dev.peft4j.train.text.MethodSpec;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code peft4j train}: fine-tune a pretrained encoder on a text task and print test metrics,
 * trainable parameters and wall time. The defaults are the README's main job.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fine-tune a pretrained encoder with a PEFT method and report test metrics.")
final class TrainCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    TaskOptions taskOptions;

    @Mixin
    MethodOptions methodOptions;

    @Option(names = "--lr", defaultValue = "0.003", description = "Adapter learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--head-lr", defaultValue = "0.002", description = "Head learning rate (default: ${DEFAULT-VALUE}).")
    float headLearningRate;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--epochs", defaultValue = "2", description = "Epochs; the best on validation is kept (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "16", description = "Examples per micro-batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimiser step (default: ${DEFAULT-VALUE}).")
    int gradientAccumulation;

    @Option(names = "--warmup", defaultValue = "0.06", description = "Warm-up fraction of steps (default: ${DEFAULT-VALUE}).")
    float warmup;

    @Option(names = "--max-train", defaultValue = "2400",
            description = "Use at most this many training examples (a seeded random subset), 0 for all. The default keeps the main job within about 8 minutes on 2 cores (default: ${DEFAULT-VALUE}).")
    int maxTrain;

    @Option(names = "--metric", defaultValue = "accuracy", description = "Validation metric picking the best epoch: accuracy, f1, mcc (higher is better) or loss (lower is better) (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for data split, init, order, dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--output"},
            description = "Output directory: adapter, metrics.jsonl, checkpoints (default: a new runs/TASK-METHOD-TIME).")
    Path output;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Optimiser steps between checkpoints (default: epoch ends only).")
    int checkpointEvery;

    @Option(names = "--resume", description = "Continue from the latest checkpoint in --output.")
    boolean resume;

    @Mixin
    ResultOptions resultOptions;

    @Option(names = "--save-mode", defaultValue = "COMPACT", description = "COMPACT or PORTABLE adapter files (default: ${DEFAULT-VALUE}).")
    SaveMode saveMode;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        engineOptions.apply();
        MethodSpec methodSpec = methodOptions.spec();
        if (output == null) {
            if (resume) {
                throw new IllegalArgumentException("--resume continues a run in --output, but no --output was given; "
                        + "pass the run folder of the interrupted run, e.g. --output runs/spam-loldu-20261201-101500");
            }
            output = defaultRunFolder(taskOptions.source().label(), methodSpec.method());
        }
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(epochs).optLearningRate(learningRate)
                .optHeadLearningRate(headLearningRate).optWeightDecay(weightDecay).optBatchSize(batchSize)
                .optGradientAccumulation(gradientAccumulation).optWarmupRatio(warmup).optSeed(seed)
                .optSelectionMetric(metric).optOutputDir(output).optCheckpointEvery(checkpointEvery).optResume(resume)
                .optProgress(true).build();
        Path adapterDir = output.resolve("adapter");
        FineTuneRequest request = new FineTuneRequest(modelOptions.model, taskOptions.source(), methodSpec, trainer,
                modelOptions.maxLength, modelOptions.pooling, maxTrain, adapterDir, saveMode);
        FineTuneJob.Report report = FineTuneJob.run(request, ArtifactCache.defaultCache());
        print(report);
        resultOptions.write(methodSpec.method(), taskOptions.source().label(), seed, metric, report.result(),
                adapterDir);
        printNextSteps(adapterDir);
        return 0;
    }

    /** {@code runs/TASK-METHOD-yyyyMMdd-HHmmss} under the working directory: a fresh folder for every run. */
    static Path defaultRunFolder(String task, String method) {
        String time = java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern(
                "yyyyMMdd-HHmmss", Locale.ROOT));
        String name = (task + "-" + method).replaceAll("[^A-Za-z0-9._-]+", "_") + "-" + time;
        return Path.of("runs", name);
    }

    /** Where the adapter is and what to do with it, spelled as commands that run as printed. */
    private void printNextSteps(Path adapterDir) {
        String data = taskOptions.data == null ? "--task " + taskOptions.task : "--data " + taskOptions.data;
        String dir = adapterDir.toString();
        System.out.printf(Locale.ROOT, "%nadapter saved to %s%nnext:%n", dir);
        System.out.printf(Locale.ROOT, "  ./peft4j eval --adapter %s %s%n", dir, data);
        System.out.printf(Locale.ROOT, "  ./peft4j export lora --adapter %s -o %s-lora%n", dir, dir);
        System.out.printf(Locale.ROOT, "  ./peft4j merge --adapter %s -o %s-merged%n", dir, dir);
    }

    static void print(FineTuneJob.Report report) {
        var r = report.result();
        System.out.printf(Locale.ROOT, "%nmodel %s | task %s | method %s r=%d | %d train examples, best epoch %d%n",
                report.request().model().id(), report.request().data().label(), report.request().method().method(),
                report.request().method().rank(), report.trainExamples(), r.bestEpoch());
        System.out.println(report.trainableReport());
        System.out.printf(Locale.ROOT, "test accuracy %.4f | F1 %.4f | MCC %.4f | validation accuracy %.4f%n",
                r.test().accuracy(), r.test().f1(), r.test().mcc(), r.bestValidation().accuracy());
        System.out.printf(Locale.ROOT, "wall time %.0f s (training %.0f s, %.1f examples/s)%n", report.totalSeconds(),
                r.wallSeconds(), r.trainExamplesPerSecond());
    }
}
