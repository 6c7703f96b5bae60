package dev.peft4j.train.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs methods x tasks x seeds and writes the report. Resumable: a cell whose result file exists
 * is read back, not recomputed, so a killed experiment continues where it stopped. A row that
 * trains exactly what an earlier row trains ({@link ExperimentConfig.MethodRow#sameRunAs}) reuses
 * that row's runs under its own label instead of repeating them: runs are deterministic per seed.
 */
public final class ExperimentRunner {

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final CellExecutor executor;

    public ExperimentRunner(CellExecutor executor) {
        this.executor = executor;
    }

    public List<CellResult> run(ExperimentConfig config, Path outputDir) throws IOException {
        Files.createDirectories(outputDir.resolve("cells"));
        List<CellResult> results = new ArrayList<>();
        int total = config.methods().size() * config.tasks().size() * config.seeds().size();
        int done = 0;
        for (ExperimentConfig.MethodRow row : config.methods()) {
            for (String task : config.tasks()) {
                for (long seed : config.seeds()) {
                    done++;
                    String id = cellId(row, task, seed);
                    Path resultFile = outputDir.resolve("cells").resolve(id + ".json");
                    if (Files.exists(resultFile)) {
                        results.add(JSON.readValue(resultFile.toFile(), CellResult.class));
                        continue;
                    }
                    CellResult result = reusable(config, row, task, seed, results);
                    if (result == null) {
                        System.err.printf(Locale.ROOT, "peft4j experiment: cell %d/%d: %s on %s, seed %d%n", done,
                                total, row.label(), task, seed);
                        result = executor.run(config, row, task, seed, outputDir.resolve("runs").resolve(id));
                    }
                    AtomicFiles.writeString(resultFile, JSON.writeValueAsString(result));
                    results.add(result);
                    ExperimentReport.write(config, results, outputDir); // partial tables while it runs
                }
            }
        }
        ExperimentReport.write(config, results, outputDir);
        return results;
    }

    /** An earlier row's finished run of the same training, relabelled as this row's; null when there is none. */
    private static CellResult reusable(ExperimentConfig config, ExperimentConfig.MethodRow row, String task, long seed,
            List<CellResult> finished) {
        for (ExperimentConfig.MethodRow earlier : config.methods()) {
            if (earlier == row) {
                return null;
            }
            if (!earlier.sameRunAs(row, config.defaults())) {
                continue;
            }
            for (CellResult c : finished) {
                if (c.label().equals(earlier.label()) && c.task().equals(task) && c.seed() == seed) {
                    System.err.printf(Locale.ROOT, "peft4j experiment: %s on %s, seed %d is the run of %s%n",
                            row.label(), task, seed, earlier.label());
                    return c.relabelled(row.label(), row.groupOrMain());
                }
            }
        }
        return null;
    }

    /** A file-name-safe id: label, task and seed. */
    static String cellId(ExperimentConfig.MethodRow row, String task, long seed) {
        return (row.label() + "__" + task + "__s" + seed).replaceAll("[^A-Za-z0-9._-]+", "_");
    }
}
