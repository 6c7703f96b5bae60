package dev.peft4j.apps.experiments;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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

    private static final String GRID_PREFIX = "grid__";

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

        boolean gridPoint() {
            return id.startsWith(GRID_PREFIX);
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
     * and names the rows and tasks still short of seeds. A grid row's seeds start as soon as its own grid is
     * finished, ahead of the other rows' grid points.
     */
    public List<CellResult> run(ExperimentConfig config, Path outputDir, ExperimentScope scope) throws IOException {
        scope.checkAgainst(config);
        return new Run(config, outputDir, scope).execute();
    }

    /**
     * One call of {@link #run}: the finished cells and the choices made so far, both guarded by {@code finished}
     * (workers record cells and rewrite the report while the scheduling thread makes choices).
     */
    private final class Run {
        private final ExperimentConfig config;
        private final Path outputDir;
        private final Path cellsDir;
        private final ExperimentScope scope;
        private final List<Cell> grid;
        private final Map<Cell, CellResult> finished = new LinkedHashMap<>();
        private final List<LrSelection> selections = new ArrayList<>();
        private final List<Cell> toReuse = new ArrayList<>();
        private final Set<Cell> sharedRunsQueued = new HashSet<>();
        private final AtomicInteger started = new AtomicInteger();
        private final AtomicInteger queued = new AtomicInteger();

        Run(ExperimentConfig config, Path outputDir, ExperimentScope scope) throws IOException {
            this.config = config;
            this.outputDir = outputDir;
            this.cellsDir = Files.createDirectories(outputDir.resolve("cells"));
            this.scope = scope;
            this.grid = gridCells(config);
        }

        List<CellResult> execute() throws IOException {
            List<Cell> gridToRun = new ArrayList<>();
            for (Cell cell : grid) {
                if (!readBack(cell) && scope.allows(cell.row().label(), cell.task())) {
                    gridToRun.add(cell);
                }
            }
            if (!grid.isEmpty()) {
                System.err.printf(Locale.ROOT, "peft4j experiment: learning-rate grids, %d of %d points to run on "
                        + "seed %d (a row's seeds follow as soon as its grid is finished)%n", gridToRun.size(),
                        grid.size(), config.selectionSeedOrFirst());
            }
            List<Cell> initial = new ArrayList<>();
            for (ExperimentConfig.MethodRow row : config.methods()) {
                for (String task : config.tasks()) {
                    if (row.hasGrid() && !chooseIfFinished(row, task)) {
                        continue; // its grid is not finished: its seeds are released when it is
                    }
                    initial.addAll(seedCellsToRun(row, task));
                }
            }
            writeSelections();
            initial.addAll(gridToRun);
            queued.set(initial.size());
            new CellScheduler<Cell>(workers).runAll(initial, this::runCell, this::released);
            reuseRuns();
            List<CellResult> results = ordered(plannedCells(), finished);
            ExperimentReport.write(config, results, orderedSelections(), notRunYet(config, results), outputDir);
            return results;
        }

        /** Reads the cell's file into {@code finished} if it exists. */
        private boolean readBack(Cell cell) throws IOException {
            Path file = cellsDir.resolve(cell.id() + ".json");
            if (!Files.exists(file)) {
                return false;
            }
            CellResult result = JSON.readValue(file.toFile(), CellResult.class);
            synchronized (finished) {
                finished.put(cell, result);
            }
            return true;
        }

        /** Chooses the rates of {@code row} on {@code task} once its grid is finished; whether a choice exists. */
        private boolean chooseIfFinished(ExperimentConfig.MethodRow row, String task) {
            synchronized (finished) {
                if (find(selections, row.label(), task) != null) {
                    return true;
                }
                LrSelection choice = choose(config, row, task, grid, finished);
                if (choice != null) {
                    selections.add(choice);
                }
                return choice != null;
            }
        }

        /**
         * The seed cells of {@code row} on {@code task} that must be trained: a finished one is read back, the
         * selection seed's is its grid run, one outside the scope waits, and a row that trains what an earlier row
         * trains reuses that row's runs (after the others have run).
         */
        private List<Cell> seedCellsToRun(ExperimentConfig.MethodRow row, String task) throws IOException {
            List<Cell> toRun = new ArrayList<>();
            for (Cell cell : seedCells(row, task)) {
                if (readBack(cell)) {
                    continue;
                }
                if (cell.tuned() && cell.seed() == config.selectionSeedOrFirst()) {
                    CellResult gridRun;
                    synchronized (finished) {
                        gridRun = finished.get(gridCell(config, cell.row(), task));
                    }
                    record(cell, gridRun.relabelled(row.label(), row.groupOrMain()), finished, outputDir);
                } else if (!scope.allows(row.label(), task)) {
                    continue;
                } else if (cell.tuned() || firstSameRun(config, row) == row) {
                    toRun.add(cell);
                } else {
                    toReuse.add(cell);
                    sharedRunToTrain(cell).ifPresent(toRun::add);
                }
            }
            return toRun;
        }

        /**
         * The run a selected row shares with an earlier row that the scope leaves out ({@code --row r=64}, whose
         * runs are those of {@code init lu}): it is trained under the earlier row's label, once, so that selecting
         * a row never trains nothing in silence. Empty when that run is finished, queued or in the scope anyway.
         */
        private Optional<Cell> sharedRunToTrain(Cell reusing) throws IOException {
            ExperimentConfig.MethodRow source = firstSameRun(config, reusing.row());
            Cell shared = new Cell(source, reusing.task(), reusing.seed());
            if (scope.allows(source.label(), reusing.task()) || readBack(shared) || !sharedRunsQueued.add(shared)) {
                return Optional.empty();
            }
            return Optional.of(shared);
        }

        /** The seed cells of {@code row} on {@code task}, at its chosen rates for a grid row (none before the choice). */
        private List<Cell> seedCells(ExperimentConfig.MethodRow row, String task) {
            ExperimentConfig.MethodRow runRow = row;
            if (row.hasGrid()) {
                LrSelection choice;
                synchronized (finished) {
                    choice = find(selections, row.label(), task);
                }
                if (choice == null) {
                    return List.of();
                }
                runRow = row.withLearningRates(row.label(), choice.lr(), choice.headLr());
            }
            List<Cell> cells = new ArrayList<>();
            for (long seed : config.seeds()) {
                // a grid row's cell names its rates: a grid changed later never reads back runs at other rates
                cells.add(new Cell(runRow, task, seed, row.hasGrid(),
                        row.hasGrid() ? ratesId(runRow, task, seed) : cellId(row, task, seed)));
            }
            return cells;
        }

        /** Every seed cell known so far, in config order (rows, then tasks, then seeds): the report's cells. */
        private List<Cell> plannedCells() {
            List<Cell> cells = new ArrayList<>();
            for (ExperimentConfig.MethodRow row : config.methods()) {
                for (String task : config.tasks()) {
                    cells.addAll(seedCells(row, task));
                }
            }
            return cells;
        }

        /** The choices in config order, whatever order their grids finished in. */
        private List<LrSelection> orderedSelections() {
            List<LrSelection> ordered = new ArrayList<>();
            synchronized (finished) {
                for (ExperimentConfig.MethodRow row : config.methods()) {
                    for (String task : config.tasks()) {
                        LrSelection choice = find(selections, row.label(), task);
                        if (choice != null) {
                            ordered.add(choice);
                        }
                    }
                }
            }
            return ordered;
        }

        private void writeSelections() throws IOException {
            if (!grid.isEmpty()) {
                AtomicFiles.writeString(outputDir.resolve("lr_selection.json"),
                        JSON.writeValueAsString(orderedSelections()));
            }
        }

        /** On a worker: trains the cell, records it and rewrites the report (partial tables while it runs). */
        private void runCell(Cell cell) throws IOException {
            System.err.printf(Locale.ROOT, "peft4j experiment: cell %d/%d to run: %s on %s, seed %d%n",
                    started.incrementAndGet(), queued.get(), cell.row().label(), cell.task(), cell.seed());
            Path cellDir = outputDir.resolve("runs").resolve(cell.id());
            CellResult result = executor.run(config, cell.row(), cell.task(), cell.seed(), cellDir);
            if (result.images() != null) { // the run names its grid in its own folder; the report, in ours
                result = result.withImages(outputDir.relativize(cellDir.resolve(result.images())).toString());
            }
            record(cell, result, finished, outputDir);
            List<LrSelection> choices = orderedSelections();
            synchronized (finished) {
                List<CellResult> sofar = ordered(plannedCells(), finished);
                ExperimentReport.write(config, sofar, choices, notRunYet(config, sofar), outputDir);
            }
        }

        /** A grid's last point releases the seeds at the rates it chose. */
        private List<Cell> released(Cell cell) throws IOException {
            if (!cell.gridPoint()) {
                return List.of();
            }
            ExperimentConfig.MethodRow row = config.methods().stream()
                    .filter(r -> r.label().equals(cell.row().label())).findFirst().orElseThrow();
            if (!chooseIfFinished(row, cell.task())) {
                return List.of();
            }
            writeSelections();
            List<Cell> seeds = seedCellsToRun(row, cell.task());
            queued.addAndGet(seeds.size());
            return seeds;
        }

        /** Records each reusing row's cells from the run of the row it repeats, where that run exists. */
        private void reuseRuns() throws IOException {
            for (Cell cell : toReuse) {
                ExperimentConfig.MethodRow source = firstSameRun(config, cell.row());
                CellResult original;
                synchronized (finished) {
                    original = finished.get(new Cell(source, cell.task(), cell.seed()));
                }
                if (original == null) { // the row it repeats is outside the scope and not run yet
                    continue;
                }
                System.err.printf(Locale.ROOT, "peft4j experiment: %s on %s, seed %d is the run of %s%n",
                        cell.row().label(), cell.task(), cell.seed(), source.label());
                record(cell, original.relabelled(cell.row().label(), cell.row().groupOrMain()), finished,
                        outputDir);
            }
        }
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

    /** Every grid point of every grid row on every task, with the selection seed, in config order. */
    private static List<Cell> gridCells(ExperimentConfig config) {
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
        return grid;
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
        return new Cell(row, task, seed, true, GRID_PREFIX + ratesId(row, task, seed));
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
