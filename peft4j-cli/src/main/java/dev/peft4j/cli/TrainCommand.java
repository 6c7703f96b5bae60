package dev.peft4j.cli;

import dev.peft4j.apps.instruct.InstructionSource;
import dev.peft4j.apps.instruct.InstructionTuningJob;
import dev.peft4j.apps.instruct.InstructionTuningRequest;
import dev.peft4j.apps.text.FineTuneJob;
import dev.peft4j.apps.text.FineTuneRequest;
import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.apps.vision.VisionAdaptation;
import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.train.loop.TrainResult;
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
 * {@code peft4j train}: fine-tune a pretrained model with a PEFT method on a task and print test metrics, trainable
 * parameters and wall time. One verb for every model: {@code --model} picks a text encoder (text classification, the
 * defaults are the README's main job), the ViT pretrained here (image classification) or a decoder (instruction
 * tuning on {@code --task wordnet} or an Alpaca {@code --data} file, scored by generation); {@code --task} the task.
 * Options that only one kind of model has are refused for the other instead of being ignored.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fine-tune a pretrained model (a text encoder, the ViT, or instruction-tune a decoder) with a PEFT "
                + "method and report test metrics.")
final class TrainCommand implements Callable<Integer> {

    /** {@code --method none}: a decoder scored without fine-tuning (the first row of the paper's Table III). */
    static final String NO_FINE_TUNING = "none";

    /**
     * The defaults that differ between text and image models (measured settings of the README's results).
     *
     * <p>Text trains 3 epochs, as Table I at the README's budget did: there, at LoLDU's default rate, spam's
     * validation accuracy rose from epoch 2 to epoch 3 on 2 of 3 seeds (by 1.66 points on seed 2), so 2 epochs would
     * have stopped short; on Reuters the best epoch was at most 2 on 6 of 6 runs, which best-epoch selection keeps.
     *
     * @param lr null where it depends on the method ({@link TextLearningRates})
     */
    private record Defaults(Float lr, float headLr, int batchSize, int maxTrain, int epochs) {
        static final Defaults TEXT = new Defaults(null, 0.002f, 16, 2400, 3);
        static final Defaults IMAGE = new Defaults(0.01f, 0.005f, 64, 10000, 2);
        /** maxTrain counts training instructions per kind. */
        static final Defaults DECODER = new Defaults(0.003f, 0.002f, 16, 1000, 2);

        float lrFor(String method) {
            return lr != null ? lr : TextLearningRates.forMethod(method);
        }
    }

    private static final List<String> TEXT_ONLY = List.of("--max-length", "--pooling", "--data", "--text-column",
            "--pair-column", "--label-column", "--save-mode", "--probe-solver");
    private static final List<String> IMAGE_ONLY = List.of("--validation", "--shift");
    /** What a decoder does not read: the encoder's and the ViT's own options. */
    private static final List<String> NOT_FOR_DECODERS = List.of("--pooling", "--text-column", "--pair-column",
            "--label-column", "--save-mode", "--probe-solver", "--validation", "--shift");

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    TaskOptions taskOptions;

    @Mixin
    MethodOptions methodOptions;

    @Option(names = "--lr", description = "Adapter learning rate (default: " + TextLearningRates.HELP
            + "; 0.01 images; 0.003 a decoder).")
    Float learningRate;

    @Option(names = "--head-lr", description = "Head learning rate (default: 0.002 text, 0.005 images).")
    Float headLearningRate;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--epochs", description = "Epochs; the best on validation is kept (default: 3 text, 2 images and "
            + "decoders).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Examples per micro-batch (default: 16 text, 64 images).")
    Integer batchSize;

    @Option(names = "--grad-accum", defaultValue = "1", description = "Micro-batches per optimiser step (default: ${DEFAULT-VALUE}).")
    int gradientAccumulation;

    @Option(names = "--warmup", defaultValue = "0.06", description = "Warm-up fraction of steps (default: ${DEFAULT-VALUE}).")
    float warmup;

    @Option(names = "--max-train",
            description = "Use at most this many training examples (a seeded random subset), 0 for all (default: 2400 "
                    + "text, which keeps the main job within about 8 minutes on 2 cores; 10000 images; a decoder: "
                    + "1000 instructions per kind, the most frequent words first).")
    Integer maxTrain;

    @Option(names = "--validation", defaultValue = "2000",
            description = "Images: training images held out to pick the best epoch (default: ${DEFAULT-VALUE}).")
    int validation;

    @Option(names = "--shift", defaultValue = "0",
            description = "Images: augmentation, a random shift of up to this many pixels (default: ${DEFAULT-VALUE}).")
    int shift;

    @Option(names = "--metric", description = "Validation metric picking the best epoch: accuracy, f1, mcc (higher is "
            + "better) or loss (lower is better) (default: accuracy; a decoder's is the validation responses' perplexity).")
    String metric;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for data split, init, order, dropout (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--output"},
            description = "Output directory: adapter, metrics.jsonl, checkpoints (default: a new runs/TASK-METHOD-TIME).")
    Path output;

    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Optimiser steps between checkpoints (default: epoch ends only).")
    int checkpointEvery;

    @Option(names = "--eval-every", defaultValue = "0", description = "Optimiser steps between extra validation "
            + "passes, recorded in metrics.jsonl and --result-json as the convergence curve (default: epoch ends only).")
    int evalEvery;

    @Option(names = "--probe-solver", defaultValue = "trainer", description = "Text, --method linear-probe: trainer "
            + "(AdamW epochs) or logistic (an L2 logistic regression on the frozen features solved to convergence, "
            + "C chosen on validation) (default: ${DEFAULT-VALUE}).")
    String probeSolver;

    @Option(names = "--resume", description = "Continue from the latest checkpoint in --output.")
    boolean resume;

    @Option(names = "--overwrite",
            description = "Delete the files of an earlier run in --output (adapter, metrics.jsonl, checkpoints) first.")
    boolean overwrite;

    @Mixin
    InstructionOptions instructionOptions;

    @Mixin
    ResultOptions resultOptions;

    @Option(names = "--save-mode", defaultValue = "COMPACT", description = "Text: COMPACT or PORTABLE adapter files (default: ${DEFAULT-VALUE}).")
    SaveMode saveMode;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    PrecisionOptions precisionOptions;

    @Override
    public Integer call() throws Exception {
        engineOptions.apply();
        precisionOptions.apply(System.out);
        modelOptions.refuseDiffusion();
        boolean decoder = modelOptions.isDecoder();
        boolean image = !decoder && modelOptions.isVision();
        if (decoder) {
            refuseOptionsOfTheOtherKind(NOT_FOR_DECODERS, "a decoder");
        } else {
            refuseOptionsOfTheOtherKind(image ? TEXT_ONLY : IMAGE_ONLY, image ? "an image model" : "a text encoder");
            refuseOptionsOfTheOtherKind(InstructionOptions.NAMES, image ? "an image model" : "a text encoder");
        }
        checkRanges();
        Defaults defaults = decoder ? Defaults.DECODER : image ? Defaults.IMAGE : Defaults.TEXT;
        // instruction tuning's "none" is the row without fine-tuning, scored the same way
        MethodSpec methodSpec = decoder && methodOptions.method.equals(NO_FINE_TUNING) ? null : methodOptions.spec();
        String methodName = methodSpec == null ? NO_FINE_TUNING : methodSpec.method();
        VisionAdaptation.Task imageTask = image ? imageTask() : null;
        InstructionSource instructions = decoder ? instructionOptions.source(taskOptions) : null;
        String taskLabel = decoder ? instructions.label() : image ? imageTask.id() : taskOptions.source().label();
        if (metric == null) {
            metric = decoder ? InstructionTuningJob.SELECTION_METRIC : "accuracy";
        }
        if (output == null) {
            if (resume) {
                throw new IllegalArgumentException("--resume continues a run in --output, but no --output was given; "
                        + "pass the run folder of the interrupted run, e.g. --output runs/spam-loldu-20261201-101500");
            }
            output = defaultRunFolder(taskLabel, methodName);
        }
        resultOptions.checkWritable();
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(orDefault(epochs, defaults.epochs()))
                .optLearningRate(orDefault(learningRate, defaults.lrFor(methodName)))
                .optHeadLearningRate(orDefault(headLearningRate, defaults.headLr())).optWeightDecay(weightDecay)
                .optBatchSize(orDefault(batchSize, defaults.batchSize())).optGradientAccumulation(gradientAccumulation)
                .optWarmupRatio(warmup).optSeed(seed).optSelectionMetric(metric).optOutputDir(output)
                .optCheckpointEvery(checkpointEvery).optEvalEvery(evalEvery).optResume(resume).optOverwrite(overwrite)
                .optProgress(true).build();
        Path adapterDir = output.resolve("adapter");
        int trainLimit = orDefault(maxTrain, defaults.maxTrain());
        if (decoder) {
            InstructionTuningJob.Report report = InstructionTuningJob.run(new InstructionTuningRequest(
                    modelOptions.model, instructions, methodSpec, trainer, instructionOptions.style(),
                    modelOptions.maxLength, instructionOptions.maxNewTokens, trainLimit, instructionOptions.maxEval,
                    adapterDir), ArtifactCache.defaultCache());
            InstructionReportPrinter.print(report, System.out);
            resultOptions.writeInstructionTuning(methodName, taskLabel, seed, report, adapterDir);
            if (methodSpec != null) {
                InstructionReportPrinter.printNextSteps(modelOptions.model, adapterDir, System.out);
            }
            return 0;
        }
        TrainResult result = image ? trainImages(imageTask, methodSpec, trainer, trainLimit, adapterDir)
                : trainText(methodSpec, trainer, trainLimit, adapterDir);
        resultOptions.write(methodSpec.method(), taskLabel, seed, metric, result, adapterDir);
        printNextSteps(adapterDir, image);
        return 0;
    }

    private TrainResult trainText(MethodSpec methodSpec, TrainerConfig trainer, int trainLimit, Path adapterDir)
            throws Exception {
        FineTuneRequest request = new FineTuneRequest(modelOptions.textEncoder(), taskOptions.source(), methodSpec,
                trainer, modelOptions.maxLength, modelOptions.pooling, trainLimit, adapterDir, saveMode,
                FineTuneRequest.ProbeSolver.parse(probeSolver));
        FineTuneJob.Report report = FineTuneJob.run(request, ArtifactCache.defaultCache());
        print(report);
        return report.result();
    }

    private TrainResult trainImages(VisionAdaptation.Task task, MethodSpec methodSpec, TrainerConfig trainer,
            int trainLimit, Path adapterDir) throws Exception {
        VisionAdaptation.Report report = VisionAdaptation.run(new VisionAdaptation.Request(modelOptions.model, task,
                methodSpec, trainer, trainLimit, validation, shift, adapterDir), ArtifactCache.defaultCache());
        System.out.printf(Locale.ROOT, "%n%s on %d train images%n", task, report.trainExamples());
        System.out.println(report.row());
        return report.result();
    }

    /** The image task {@code --task} names ({@code mnist} by default; enum spellings such as MNIST accepted). */
    private VisionAdaptation.Task imageTask() {
        String id = taskOptions.task == null ? VisionAdaptation.Task.MNIST.id()
                : taskOptions.task.toLowerCase(Locale.ROOT).replace('_', '-');
        return VisionAdaptation.Task.fromId(id);
    }

    /** Every count and rate in range, before anything loads (the job's own checks would come minutes later). */
    private void checkRanges() {
        if (epochs != null) {
            OptionChecks.atLeast("--epochs", epochs, 1);
        }
        if (batchSize != null) {
            OptionChecks.atLeast("--batch-size", batchSize, 1);
        }
        OptionChecks.atLeast("--grad-accum", gradientAccumulation, 1);
        if (maxTrain != null) {
            OptionChecks.atLeast("--max-train", maxTrain, 0);
        }
        OptionChecks.atLeast("--checkpoint-every", checkpointEvery, 0);
        OptionChecks.atLeast("--eval-every", evalEvery, 0);
        OptionChecks.atLeast("--validation", validation, 1);
        OptionChecks.atLeast("--shift", shift, 0);
        OptionChecks.atLeast("--max-length", modelOptions.maxLength, 1);
        OptionChecks.atLeast("--max-new-tokens", instructionOptions.maxNewTokens, 1);
        OptionChecks.atLeast("--max-eval", instructionOptions.maxEval, 0);
        if (learningRate != null) {
            OptionChecks.positive("--lr", learningRate);
        }
        if (headLearningRate != null) {
            OptionChecks.nonNegative("--head-lr", headLearningRate);
        }
        OptionChecks.nonNegative("--weight-decay", weightDecay);
        OptionChecks.fraction("--warmup", warmup);
        if (resume && overwrite) {
            throw new IllegalArgumentException("--resume continues the run in --output and --overwrite deletes it; "
                    + "pass one of them");
        }
    }

    private void refuseOptionsOfTheOtherKind(List<String> options, String kind) {
        for (String option : options) {
            if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
                throw new IllegalArgumentException(option + " does not apply to " + kind + " (--model "
                        + modelOptions.model + "); drop it, or choose a model it applies to");
            }
        }
    }

    private static float orDefault(Float value, float fallback) {
        return value == null ? fallback : value;
    }

    private static int orDefault(Integer value, int fallback) {
        return value == null ? fallback : value;
    }

    /** {@code runs/TASK-METHOD-yyyyMMdd-HHmmss} under the working directory: a fresh folder for every run. */
    static Path defaultRunFolder(String task, String method) {
        String time = java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern(
                "yyyyMMdd-HHmmss", Locale.ROOT));
        String name = (task + "-" + method).replaceAll("[^A-Za-z0-9._-]+", "_") + "-" + time;
        return Path.of("runs", name);
    }

    /** Where the adapter is and what to do with it, spelled as commands that run as printed. */
    private void printNextSteps(Path adapterDir, boolean image) {
        String dir = adapterDir.toString();
        System.out.printf(Locale.ROOT, "%nadapter saved to %s%n", dir);
        if (image) {
            return; // eval, export and merge read text classifiers
        }
        String data = taskOptions.data == null ? "--task " + taskOptions.source().label() : "--data " + taskOptions.data;
        System.out.printf(Locale.ROOT, "next:%n");
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
