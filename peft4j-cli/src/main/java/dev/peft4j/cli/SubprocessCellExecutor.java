package dev.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.train.experiments.CellExecutor;
import dev.peft4j.train.experiments.CellResult;
import dev.peft4j.train.experiments.ExperimentConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs each cell as {@code peft4j train ...} in a fresh JVM with this JVM's class path: the peak
 * memory is the run's own, and a crash or kill costs one cell, which the next run redoes.
 */
final class SubprocessCellExecutor implements CellExecutor {

    @Override
    public CellResult run(ExperimentConfig config, ExperimentConfig.MethodRow row, String task, long seed, Path cellDir)
            throws IOException {
        Files.createDirectories(cellDir);
        Path result = cellDir.resolve("result.json");
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx8g", "-cp",
                System.getProperty("java.class.path"), Peft4jCommand.class.getName()));
        command.addAll(trainArguments(config, row, task, seed, cellDir, result));
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

    static List<String> trainArguments(ExperimentConfig config, ExperimentConfig.MethodRow row, String task, long seed,
            Path cellDir, Path result) {
        ExperimentConfig.Defaults d = config.defaults();
        List<String> args = new ArrayList<>(List.of("train", "--model", config.model(), "--task", task,
                "--method", row.method(), "--epochs", String.valueOf(d.epochs()),
                "--max-train", String.valueOf(d.maxTrain()), "--max-length", String.valueOf(d.maxLength()),
                "--batch-size", String.valueOf(d.batchSize()),
                "--lr", String.valueOf(row.lr() == null ? d.lr() : row.lr()),
                "--head-lr", String.valueOf(row.headLr() == null ? d.headLr() : row.headLr()),
                "--seed", String.valueOf(seed), "--metric", config.metricFor(task), "-o", cellDir.toString(),
                "--result-json", result.toString(), "--label", row.label(), "--group", row.groupOrMain()));
        if (row.rank() != null) {
            args.addAll(List.of("--rank", String.valueOf(row.rank())));
        }
        if (row.alpha() != null) {
            args.addAll(List.of("--alpha", String.valueOf(row.alpha())));
        }
        if (row.init() != null) {
            args.addAll(List.of("--init", row.init()));
        }
        if (Boolean.TRUE.equals(row.trainSigma())) {
            args.add("--train-sigma");
        }
        if (row.targets() != null) {
            args.addAll(List.of("--targets", String.join(",", row.targets())));
        }
        if (row.extra() != null) {
            for (Map.Entry<String, Object> e : row.extra().entrySet()) {
                args.addAll(List.of("--method-arg", e.getKey() + "=" + e.getValue()));
            }
        }
        return args;
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }
}
