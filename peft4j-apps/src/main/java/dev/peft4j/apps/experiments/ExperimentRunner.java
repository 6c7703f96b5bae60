package dev.peft4j.apps.experiments;

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

    /** One method row on one task with one seed. */
    private record Cell(ExperimentConfig.MethodRow row, String task, long seed) {
        String id() {
            return cellId(row, task, seed);
        }
    }

    public List<CellResult> run(ExperimentConfig config, Path outputDir) throws IOException {
        Path cellsDir = Files.createDirectories(outputDir.resolve("cells"));
        List<Cell> cells = new ArrayList<>();
        for (ExperimentConfig.MethodRow row : config.methods()) {
            for (String task : config.tasks()) {
                for (long seed : config.seeds()) {
                    cells.add(new Cell(row, task, seed));
                }
            }
        }
        Map<Cell, CellResult> finished = new LinkedHashMap<>();
        List<Cell> toRun = new ArrayList<>();
        List<Cell> toReuse = new ArrayList<>();
        for (Cell cell : cells) {
            Path file = cellsDir.resolve(cell.id() + ".json");
            if (Files.exists(file)) {
                finished.put(cell, JSON.readValue(file.toFile(), CellResult.class));
            } else if (firstSameRun(config, cell.row()) == cell.row()) {
                toRun.add(cell);
            } else {
                toReuse.add(cell);
            }
        }
        runAll(config, toRun, cells, finished, outputDir);
        for (Cell cell : toReuse) {
            ExperimentConfig.MethodRow source = firstSameRun(config, cell.row());
            CellResult original = finished.get(new Cell(source, cell.task(), cell.seed()));
            System.err.printf(Locale.ROOT, "peft4j experiment: %s on %s, seed %d is the run of %s%n",
                    cell.row().label(), cell.task(), cell.seed(), source.label());
            record(cell, original.relabelled(cell.row().label(), cell.row().groupOrMain()), finished, outputDir);
        }
        List<CellResult> results = ordered(cells, finished);
        ExperimentReport.write(config, results, outputDir);
        return results;
    }

    /** Runs the cells on {@code workers} threads; a failed cell fails the run after the others have finished. */
    private void runAll(ExperimentConfig config, List<Cell> toRun, List<Cell> cells, Map<Cell, CellResult> finished,
            Path outputDir) throws IOException {
        int total = toRun.size();
        AtomicInteger started = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Cell cell : toRun) {
                futures.add(pool.submit(() -> {
                    System.err.printf(Locale.ROOT, "peft4j experiment: cell %d/%d to run: %s on %s, seed %d%n",
                            started.incrementAndGet(), total, cell.row().label(), cell.task(), cell.seed());
                    CellResult result = executor.run(config, cell.row(), cell.task(), cell.seed(),
                            outputDir.resolve("runs").resolve(cell.id()));
                    record(cell, result, finished, outputDir);
                    synchronized (finished) {
                        // partial tables while it runs
                        ExperimentReport.write(config, ordered(cells, finished), outputDir);
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
