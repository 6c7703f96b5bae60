package dev.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.apps.diffusion.ConceptTasks;
import dev.peft4j.apps.experiments.CellExecutor;
import dev.peft4j.apps.experiments.CellResult;
import dev.peft4j.apps.experiments.ExperimentConfig;
import dev.peft4j.apps.text.FineTuneRequest;
import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.apps.vision.VisionAdaptation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs each cell as {@code peft4j train ...} ({@code peft4j personalise ...} for a DiT grid) in a fresh JVM with this JVM's class path: the peak
 * memory is the run's own, and a crash or kill costs one cell, which the next run redoes.
 */
final class SubprocessCellExecutor implements CellExecutor {

    private final int threads;

    /** @param threads engine threads of each child ({@code --threads}); 0 for the engine's default */
    SubprocessCellExecutor(int threads) {
        this.threads = threads;
    }

    @Override
    public CellResult run(ExperimentConfig config, ExperimentConfig.MethodRow row, String task, long seed, Path cellDir)
            throws IOException {
        Files.createDirectories(cellDir);
        Path result = cellDir.resolve("result.json");
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx8g", "-cp",
                System.getProperty("java.class.path"), Peft4jCommand.class.getName()));
        command.addAll(arguments(config, row, task, seed, cellDir, result));
        Path log = cellDir.resolve("train.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int exit = process.waitFor();
            if (exit != 0 || !Files.exists(result)) {
                List<String> lines = Files.readAllLines(log);
                throw new IOException("Cell " + row.label() + " on " + task + " (seed " + seed + ") failed with exit "
                        + exit + "; last lines of " + log + ":\n  "
                        + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 8), lines.size())));
            }
        } catch (InterruptedException e) {
            process.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while running " + row.label(), e);
        }
        return new ObjectMapper().readValue(result.toFile(), CellResult.class);
    }

    /** {@code train} with the grid's model and task, the row's knobs and our threads. */
    List<String> arguments(ExperimentConfig config, ExperimentConfig.MethodRow row, String task, long seed,
            Path cellDir, Path result) {
        ExperimentConfig.Defaults d = config.defaults();
        if (config.isDiffusion()) {
            return personaliseArguments(config, row, task, seed, cellDir, result);
        }
        List<String> args = new ArrayList<>();
        if (config.isDecoder()) {
            args.addAll(List.of("train", "--model", config.model(), "--task", task, "--max-length",
                    String.valueOf(d.maxLength()), "--max-eval", String.valueOf(d.maxEvalOrDefault()),
                    "--max-new-tokens", String.valueOf(d.maxNewTokensOrDefault()), "--prompt-style",
                    d.promptStyleOrDefault().id()));
        } else if (config.isVision()) {
            args.addAll(List.of("train", "--model", config.vitBase(), "--task", VisionAdaptation.Task.fromId(task).id(),
                    "--validation", String.valueOf(d.validationOrDefault())));
        } else {
            args.addAll(List.of("train", "--model", config.model(), "--task", task, "--max-length",
                    String.valueOf(d.maxLength()), "--metric", config.metricFor(task)));
        }
        args.addAll(List.of("--method", row.method(), "--epochs", String.valueOf(d.epochs()),
                "--max-train", String.valueOf(d.maxTrain()), "--batch-size", String.valueOf(d.batchSize()),
                "--lr", String.valueOf(row.lrOr(d)), "--head-lr", String.valueOf(row.headLrOr(d)),
                "--seed", String.valueOf(seed), "-o", cellDir.toString(), "--overwrite", // no result: start again
                "--result-json", result.toString(), "--label", row.label(), "--group", row.groupOrMain(),
                "--threads", String.valueOf(threads)));
        if (d.precision() != null) {
            args.addAll(List.of("--precision", d.precision()));
        }
        if (row.evalEvery(d) > 0) {
            args.addAll(List.of("--eval-every", String.valueOf(row.evalEvery(d))));
        }
        if (row.probeSolver() != FineTuneRequest.ProbeSolver.TRAINER) {
            args.addAll(List.of("--probe-solver", row.probeSolver().name().toLowerCase(java.util.Locale.ROOT)));
        }
        addMethodArguments(row, args);
        return args;
    }

    /** {@code personalise} on the grid's DiT and concept, with the grid's steps and sampling and the row's knobs. */
    private List<String> personaliseArguments(ExperimentConfig config, ExperimentConfig.MethodRow row, String task,
            long seed, Path cellDir, Path result) {
        ExperimentConfig.Defaults d = config.defaults();
        ExperimentConfig.Personalisation p = d.personalisationOrDefault();
        List<String> args = new ArrayList<>(List.of("personalise", "--model", config.ditBase().toString(),
                "--concept", String.valueOf(ConceptTasks.classOf(task)), "--shots", String.valueOf(p.shots()),
                "--validation-images", String.valueOf(p.validationImages()), "--max-test", String.valueOf(p.maxTest()),
                "--steps", String.valueOf(p.steps()), "--lr", String.valueOf(row.lrOr(d)), "--batch-size",
                String.valueOf(d.batchSize()), "--prior-images", String.valueOf(row.priorImagesOrZero()),
                "--samples", String.valueOf(p.samples()), "--prior-samples", String.valueOf(p.priorSamples()),
                "--sample-steps", String.valueOf(p.sampleSteps()), "--guidance", String.valueOf(p.guidance()),
                "--sample-seed", String.valueOf(p.sampleSeed()), "--seed", String.valueOf(seed), "-o",
                cellDir.toString(), "--overwrite", "--result-json", result.toString(), "--label", row.label(),
                "--group", row.groupOrMain(), "--threads", String.valueOf(threads), "--method", row.method()));
        addMethodArguments(row, args);
        return args;
    }

    /** The row's method knobs as {@code train} and {@code personalise} read them; none for the row without. */
    private static void addMethodArguments(ExperimentConfig.MethodRow row, List<String> args) {
        MethodSpec spec = row.methodSpec();
        if (spec == null) { // the row without fine-tuning
            return;
        }
        args.addAll(List.of("--rank", String.valueOf(spec.rank()), "--targets", String.join(",", spec.targets())));
        if (spec.alpha() != null) {
            args.addAll(List.of("--alpha", String.valueOf(spec.alpha())));
        }
        if (spec.init() != null) {
            args.addAll(List.of("--init", spec.init()));
        }
        if (spec.trainSigma()) {
            args.add("--train-sigma");
        }
        for (Map.Entry<String, Object> e : spec.extra().entrySet()) {
            args.addAll(List.of("--method-arg", e.getKey() + "=" + e.getValue()));
        }
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
