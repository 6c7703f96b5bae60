package dev.peft4j.apps.experiments;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs methods x tasks x seeds and writes the report. Resumable: a cell whose result file exists
 * is read back, not recomputed, so a killed experiment continues where it stopped. A row that
 * trains exactly what an earlier row trains ({@link ExperimentConfig.MethodRow#sameRunAs}) reuses
 * that row's runs under its own label instead of repeating them: runs are deterministic per seed.
 *
 * <p>A row with a learning-rate grid ({@code lr_grid}, {@code head_lr_grid}) first runs every grid point on each task
 * with the selection seed ({@link ExperimentConfig#selectionSeedOrFirst()}), chooses the point with the best
 * validation score (the lowest for the loss metric; on a tie, the lower validation loss where both points record it,
 * else the first in grid order), then runs the seeds at it; the selection seed's cell is its grid run. Every point's
 * validation and test scores and the choice go into {@code lr_selection.json} and {@code results.json}: the choice
 * never looks at the test split.
 */
public final class ExperimentRunner {

    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final CellExecutor executor;
    private final int workers;

    /** One cell at a time. */
    public ExperimentRunner(CellExecutor executor) {
        this(executor, 1);
    }

    /**
     * @param workers cells run at once (each on its own thread calling {@code executor}); more than one only pays
     *     with an executor that runs cells in separate processes with fewer engine threads each
     */
    public ExperimentRunner(CellExecutor executor, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be at least 1, found " + workers);
        }
        this.executor = executor;
        this.workers = workers;
    }

    /**
     * One method row on one task with one seed; {@code tuned}: the row is a grid row at its chosen rates, which no
     * other row's runs stand in for. {@code id} names its file in {@code cells/}.
     */
    private record Cell(ExperimentConfig.MethodRow row, String task, long seed, boolean tuned, String id) {
        Cell(ExperimentConfig.MethodRow row, String task, long seed) {
            this(row, task, seed, false, cellId(row, task, seed));
        }
    }

    /**
     * One grid point's run on the selection seed: its rates, validation score and test score, and the validation loss
     * that breaks a tie on the score (null in cells from before it was recorded).
     */
    public record GridPoint(float lr, @JsonProperty("head_lr") float headLr, Double validation, double test,
            @JsonProperty("validation_loss") Double validationLoss) {

        /** Whether this point is chosen over {@code other}: a better validation score, or the same and a lower loss. */
        boolean beats(GridPoint other, boolean lowerIsBetter) {
            if (!validation.equals(other.validation)) {
                return lowerIsBetter ? validation < other.validation : validation > other.validation;
            }
            return validationLoss != null && other.validationLoss != null && validationLoss < other.validationLoss;
        }
    }

    /** A grid row's choice on one task. */
    public record LrSelection(String label, String task, String metric, @JsonProperty("selection_seed") long seed,
            List<GridPoint> grid, @JsonProperty("chosen_lr") float lr, @JsonProperty("chosen_head_lr") float headLr) {
    }

    public List<CellResult> run(ExperimentConfig config, Path outputDir) throws IOException {
        return run(config, outputDir, ExperimentScope.ALL);
    }

    /**
     * Trains the cells in {@code scope} not finished before; the report covers every finished cell of {@code config},
     * and names the rows and tasks still short of seeds.
     */
    public List<CellResult> run(ExperimentConfig config, Path outputDir, ExperimentScope scope) throws IOException {
        scope.checkAgainst(config);
        Path cellsDir = Files.createDirectories(outputDir.resolve("cells"));
        Map<Cell, CellResult> finished = new LinkedHashMap<>();
        List<LrSelection> selections = selectLearningRates(config, cellsDir, finished, outputDir, scope);
        List<Cell> cells = new ArrayList<>();
        for (ExperimentConfig.MethodRow row : config.methods()) {
            for (String task : config.tasks()) {
                ExperimentConfig.MethodRow runRow = row;
                if (row.hasGrid()) {
                    LrSelection choice = find(selections, row.label(), task);
                    if (choice == null) { // its grid is not finished (outside the scope): no seeds to run yet
                        continue;
                    }
                    runRow = row.withLearningRates(row.label(), choice.lr(), choice.headLr());
                }
                for (long seed : config.seeds()) {
                    // a grid row's cell names its rates: a grid changed later never reads back runs at other rates
                    cells.add(new Cell(runRow, task, seed, row.hasGrid(),
                            row.hasGrid() ? ratesId(runRow, task, seed) : cellId(row, task, seed)));
                }
            }
        }
        List<Cell> toRun = new ArrayList<>();
        List<Cell> toReuse = new ArrayList<>();
        for (Cell cell : cells) {
            Path file = cellsDir.resolve(cell.id() + ".json");
            boolean inScope = scope.allows(cell.row().label(), cell.task());
            if (Files.exists(file)) {
                finished.put(cell, JSON.readValue(file.toFile(), CellResult.class));
            } else if (cell.tuned() && cell.seed() == config.selectionSeedOrFirst()) {
                Cell gridRun = gridCell(config, cell.row(), cell.task());
                record(cell, finished.get(gridRun).relabelled(cell.row().label(), cell.row().groupOrMain()),
                        finished, outputDir);
            } else if (!inScope) {
                continue;
            } else if (cell.tuned() || firstSameRun(config, cell.row()) == cell.row()) {
                toRun.add(cell);
            } else {
                toReuse.add(cell);
            }
        }
        runAll(config, toRun, cells, finished, outputDir, selections);
        for (Cell cell : toReuse) {
            ExperimentConfig.MethodRow source = firstSameRun(config, cell.row());
            CellResult original = finished.get(new Cell(source, cell.task(), cell.seed()));
            if (original == null) { // the row it repeats is outside the scope and not run yet
                continue;
            }
            System.err.printf(Locale.ROOT, "peft4j experiment: %s on %s, seed %d is the run of %s%n",
                    cell.row().label(), cell.task(), cell.seed(), source.label());
            record(cell, original.relabelled(cell.row().label(), cell.row().groupOrMain()), finished, outputDir);
        }
        List<CellResult> results = ordered(cells, finished);
        ExperimentReport.write(config, results, selections, notRunYet(config, results), outputDir);
        return results;
    }

    /** "label on task: k of n seeds" for each row and task short of its seeds, in config order. */
    private static List<String> notRunYet(ExperimentConfig config, List<CellResult> results) {
        List<String> missing = new ArrayList<>();
        for (ExperimentConfig.MethodRow row : config.methods()) {
            for (String task : config.tasks()) {
                long done = results.stream().filter(r -> r.label().equals(row.label()) && r.task().equals(task))
                        .count();
                if (done < config.seeds().size()) {
                    missing.add(String.format(Locale.ROOT, "%s on %s: %d of %d seeds", row.label(), task, done,
                            config.seeds().size()));
                }
            }
        }
        return missing;
    }

    /**
     * Runs every grid row's points on the selection seed (those not run before), chooses per task and writes the
     * choices to {@code lr_selection.json}.
     */
    private List<LrSelection> selectLearningRates(ExperimentConfig config, Path cellsDir,
            Map<Cell, CellResult> finished, Path outputDir, ExperimentScope scope) throws IOException {
        List<Cell> grid = new ArrayList<>();
        for (ExperimentConfig.MethodRow row : config.methods()) {
            if (!row.hasGrid()) {
                continue;
            }
            for (String task : config.tasks()) {
                for (float lr : row.lrCandidates(config.defaults())) {
                    for (float headLr : row.headLrCandidates(config.defaults())) {
                        grid.add(gridCell(config, row.withLearningRates(row.label(), lr, headLr), task));
                    }
                }
            }
        }
        if (grid.isEmpty()) {
            return List.of();
        }
        List<Cell> toRun = new ArrayList<>();
        for (Cell cell : grid) {
            Path file = cellsDir.resolve(cell.id() + ".json");
            if (Files.exists(file)) {
                finished.put(cell, JSON.readValue(file.toFile(), CellResult.class));
            } else if (scope.allows(cell.row().label(), cell.task())) {
                toRun.add(cell);
            }
        }
        System.err.printf(Locale.ROOT, "peft4j experiment: learning-rate grids, %d of %d points to run on seed %d%n",
                toRun.size(), grid.size(), config.selectionSeedOrFirst());
        runAll(config, toRun, grid, finished, outputDir, null);
        List<LrSelection> selections = new ArrayList<>();
        for (ExperimentConfig.MethodRow row : config.methods()) {
            if (!row.hasGrid()) {
                continue;
            }
            for (String task : config.tasks()) {
                LrSelection choice = choose(config, row, task, grid, finished);
                if (choice != null) {
                    selections.add(choice);
                }
            }
        }
        AtomicFiles.writeString(outputDir.resolve("lr_selection.json"), JSON.writeValueAsString(selections));
        return selections;
    }

    /**
     * The grid point with the best validation score (lowest for loss); a point without one never wins. Null while a
     * point is not run (outside the scope).
     */
    private static LrSelection choose(ExperimentConfig config, ExperimentConfig.MethodRow row, String task,
            List<Cell> grid, Map<Cell, CellResult> finished) {
        String metric = config.metricFor(task);
        boolean lowerIsBetter = ExperimentConfig.lowerIsBetter(metric);
        List<GridPoint> points = new ArrayList<>();
        GridPoint best = null;
        for (Cell cell : grid) {
            if (!cell.task().equals(task) || !cell.row().label().equals(row.label())) {
                continue;
            }
            CellResult result = finished.get(cell);
            if (result == null) {
                return null;
            }
            GridPoint point = new GridPoint(cell.row().lr(), cell.row().headLr(), result.validation(), result.score(),
                    result.validationLoss());
            points.add(point);
            if (point.validation() != null && (best == null || point.beats(best, lowerIsBetter))) {
                best = point;
            }
        }
        if (best == null) {
            throw new IllegalStateException("No grid point of '" + row.label() + "' on " + task + " has a validation "
                    + "score to choose by (cells written before validation scores were recorded?); delete its grid "
                    + "cells in cells/ and run again");
        }
        return new LrSelection(row.label(), task, metric, config.selectionSeedOrFirst(), points, best.lr(),
                best.headLr());
    }

    /** A grid point's run of {@code row} (at fixed rates) on {@code task} with the selection seed. */
    private static Cell gridCell(ExperimentConfig config, ExperimentConfig.MethodRow row, String task) {
        long seed = config.selectionSeedOrFirst();
        return new Cell(row, task, seed, true, "grid__" + ratesId(row, task, seed));
    }

    /** {@link #cellId} with the row's fixed learning rates. */
    private static String ratesId(ExperimentConfig.MethodRow row, String task, long seed) {
        return (cellId(row, task, seed) + "__lr" + row.lr() + "__head" + row.headLr()).replaceAll("[^A-Za-z0-9._-]+",
                "_");
    }

    /** The choice of row {@code label} on {@code task}; null while its grid is not finished. */
    private static LrSelection find(List<LrSelection> selections, String label, String task) {
        return selections.stream().filter(s -> s.label().equals(label) && s.task().equals(task)).findFirst()
                .orElse(null);
    }

    /**
     * Runs the cells on {@code workers} threads; a failed cell fails the run after the others have finished. With
     * {@code selections} not null, the report is rewritten after every cell (partial tables while it runs).
     */
    private void runAll(ExperimentConfig config, List<Cell> toRun, List<Cell> cells, Map<Cell, CellResult> finished,
            Path outputDir, List<LrSelection> selections) throws IOException {
        int total = toRun.size();
        AtomicInteger started = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Cell cell : toRun) {
                futures.add(pool.submit(() -> {
                    System.err.printf(Locale.ROOT, "peft4j experiment: cell %d/%d to run: %s on %s, seed %d%n",
                            started.incrementAndGet(), total, cell.row().label(), cell.task(), cell.seed());
                    Path cellDir = outputDir.resolve("runs").resolve(cell.id());
                    CellResult result = executor.run(config, cell.row(), cell.task(), cell.seed(), cellDir);
                    if (result.images() != null) { // the run names its grid in its own folder; the report, in ours
                        result = result.withImages(outputDir.relativize(cellDir.resolve(result.images())).toString());
                    }
                    record(cell, result, finished, outputDir);
                    if (selections != null) {
                        synchronized (finished) {
                            List<CellResult> sofar = ordered(cells, finished);
                            ExperimentReport.write(config, sofar, selections, notRunYet(config, sofar), outputDir);
                        }
                    }
                    return null;
                }));
            }
            IOException failure = null;
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (failure == null) {
                        failure = cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
                    } else {
                        failure.addSuppressed(cause);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("Interrupted while waiting for the experiment's cells", e);
                }
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Writes the cell's file (atomically, so a kill never leaves half a cell) and keeps the result. */
    private static void record(Cell cell, CellResult result, Map<Cell, CellResult> finished, Path outputDir)
            throws IOException {
        AtomicFiles.writeString(outputDir.resolve("cells").resolve(cell.id() + ".json"),
                JSON.writeValueAsString(result));
        synchronized (finished) {
            finished.put(cell, result);
        }
    }

    private static List<CellResult> ordered(List<Cell> cells, Map<Cell, CellResult> finished) {
        synchronized (finished) {
            return cells.stream().filter(finished::containsKey).map(finished::get).toList();
        }
    }

    /** The first row (in config order) that trains what {@code row} trains: the row itself when none is earlier. */
    private static ExperimentConfig.MethodRow firstSameRun(ExperimentConfig config, ExperimentConfig.MethodRow row) {
        for (ExperimentConfig.MethodRow candidate : config.methods()) {
            if (candidate == row || candidate.sameRunAs(row, config.defaults())) {
                return candidate;
            }
        }
        return row;
    }

    /** A file-name-safe id: label, task and seed. */
    static String cellId(ExperimentConfig.MethodRow row, String task, long seed) {
        return (row.label() + "__" + task + "__s" + seed).replaceAll("[^A-Za-z0-9._-]+", "_");
    }
}
