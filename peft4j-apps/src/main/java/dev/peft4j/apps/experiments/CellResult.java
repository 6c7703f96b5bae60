package dev.peft4j.apps.experiments;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One finished run of the grid: a method row on a task with a seed. Written as
 * {@code cells/<id>.json} so that a re-run skips it. {@code curve}: every validation pass (the epoch ends, and more
 * where the row asks for a convergence curve).
 */
public record CellResult(String label, String group, String task, long seed, String metric,
        @JsonProperty("score") double score, @JsonProperty("test_accuracy") double testAccuracy,
        @JsonProperty("test_f1") double testF1, @JsonProperty("best_epoch") int bestEpoch,
        @JsonProperty("adapter_params") long adapterParams, @JsonProperty("head_params") long headParams,
        @JsonProperty("wall_seconds") double wallSeconds, @JsonProperty("examples_per_second") double examplesPerSecond,
        @JsonProperty("peak_rss_mb") double peakRssMb, @JsonProperty("adapter_bytes") long adapterBytes,
        @JsonProperty("validation") Double validation, @JsonProperty("curve") List<CurvePoint> curve) {

    public CellResult {
        curve = curve == null ? List.of() : List.copyOf(curve);
    }

    /** The validation score in the cell's metric after {@code step} optimiser steps. */
    public record CurvePoint(int step, double validation) {
    }

    /** A cell without a validation curve. */
    public CellResult(String label, String group, String task, long seed, String metric, double score,
            double testAccuracy, double testF1, int bestEpoch, long adapterParams, long headParams, double wallSeconds,
            double examplesPerSecond, double peakRssMb, long adapterBytes, Double validation) {
        this(label, group, task, seed, metric, score, testAccuracy, testF1, bestEpoch, adapterParams, headParams,
                wallSeconds, examplesPerSecond, peakRssMb, adapterBytes, validation, List.of());
    }

    /** A cell without its validation score (cells written before it was recorded read back this way too). */
    public CellResult(String label, String group, String task, long seed, String metric, double score,
            double testAccuracy, double testF1, int bestEpoch, long adapterParams, long headParams, double wallSeconds,
            double examplesPerSecond, double peakRssMb, long adapterBytes) {
        this(label, group, task, seed, metric, score, testAccuracy, testF1, bestEpoch, adapterParams, headParams,
                wallSeconds, examplesPerSecond, peakRssMb, adapterBytes, null, List.of());
    }

    /**
     * A finished run as a cell: the test score in {@code metric}, the best epoch's validation score in it (what a
     * learning-rate grid chooses by), the run's counts and timings, this process's peak memory and the size of the
     * adapter saved in {@code adapterDir} (0 when none).
     */
    public static CellResult of(String label, String group, String task, long seed, String metric,
            dev.peft4j.train.loop.TrainResult r, java.nio.file.Path adapterDir) {
        return new CellResult(label, group, task, seed, metric, r.test().get(metric), r.test().accuracy(),
                r.test().f1(), r.bestEpoch(), r.adapterParameters(), r.headParameters(), r.wallSeconds(),
                r.trainExamplesPerSecond(), RunMeasurements.peakRssMb(),
                adapterDir == null ? 0 : RunMeasurements.adapterBytes(adapterDir),
                r.bestValidation() == null ? null : r.bestValidation().get(metric),
                r.curve().stream().map(p -> new CurvePoint(p.step(), p.validation().get(metric))).toList());
    }

    /** The same run reported under another row's label and group. */
    public CellResult relabelled(String newLabel, String newGroup) {
        return new CellResult(newLabel, newGroup, task, seed, metric, score, testAccuracy, testF1, bestEpoch,
                adapterParams, headParams, wallSeconds, examplesPerSecond, peakRssMb, adapterBytes, validation, curve);
    }
}
