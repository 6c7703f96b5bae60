package dev.peft4j.apps.experiments;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

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
        @JsonProperty("validation") Double validation, @JsonProperty("curve") List<CurvePoint> curve,
        @JsonProperty("scores") Map<String, Double> scores, @JsonProperty("generations") List<Generation> generations) {

    public CellResult {
        curve = curve == null ? List.of() : List.copyOf(curve);
        scores = scores == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(scores));
        generations = generations == null ? List.of() : List.copyOf(generations);
    }

    /** One generated response beside its reference (instruction tuning), for the side-by-side tables. */
    public record Generation(String kind, String word, String instruction, String input, String reference,
            String generated) {
    }

    /** A cell with a validation curve and no generation scores. */
    public CellResult(String label, String group, String task, long seed, String metric, double score,
            double testAccuracy, double testF1, int bestEpoch, long adapterParams, long headParams, double wallSeconds,
            double examplesPerSecond, double peakRssMb, long adapterBytes, Double validation, List<CurvePoint> curve) {
        this(label, group, task, seed, metric, score, testAccuracy, testF1, bestEpoch, adapterParams, headParams,
                wallSeconds, examplesPerSecond, peakRssMb, adapterBytes, validation, curve, Map.of(), List.of());
    }

    /**
     * This cell with the scores of its generations (percent by kind, e.g. {@code define}, and {@code average}) and a
     * few generations to show.
     */
    public CellResult withGenerations(Map<String, Double> newScores, List<Generation> newGenerations) {
        return new CellResult(label, group, task, seed, metric, score, testAccuracy, testF1, bestEpoch, adapterParams,
                headParams, wallSeconds, examplesPerSecond, peakRssMb, adapterBytes, validation, curve, newScores,
                newGenerations);
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
        return new CellResult(label, group, task, seed, metric, r.test().get(metric), orNaN(r.test(), "accuracy"),
                orNaN(r.test(), "f1"), r.bestEpoch(), r.adapterParameters(), r.headParameters(), r.wallSeconds(),
                r.trainExamplesPerSecond(), RunMeasurements.peakRssMb(),
                adapterDir == null ? 0 : RunMeasurements.adapterBytes(adapterDir),
                r.bestValidation() == null ? null : r.bestValidation().get(metric),
                r.curve().stream().map(p -> new CurvePoint(p.step(), p.validation().get(metric))).toList());
    }

    /** How many generations per kind a cell keeps to show beside the other rows'. */
    static final int GENERATIONS_PER_KIND = 3;

    /**
     * An instruction-tuning run as a cell: the trainer's figures as {@link #of}, with the generation scores by kind
     * (and their average) and the first {@value #GENERATIONS_PER_KIND} generations of each kind.
     */
    public static CellResult ofInstructionTuning(String label, String group, String task, long seed,
            dev.peft4j.apps.instruct.InstructionTuningJob.Report report, java.nio.file.Path adapterDir) {
        Map<String, Integer> shown = new java.util.HashMap<>();
        List<Generation> generations = new java.util.ArrayList<>();
        for (var sample : report.evaluation().samples()) {
            if (shown.merge(sample.kind(), 1, Integer::sum) <= GENERATIONS_PER_KIND) {
                generations.add(new Generation(sample.kind(), sample.word(), sample.instruction(), sample.input(),
                        sample.reference(), sample.generated()));
            }
        }
        boolean saved = adapterDir != null && java.nio.file.Files.isDirectory(adapterDir);
        return of(label, group, task, seed, dev.peft4j.apps.instruct.InstructionTuningJob.SELECTION_METRIC,
                report.result(), saved ? adapterDir : null).withGenerations(report.evaluation().scores(), generations);
    }

    /** A classification metric, NaN in a run that has none (a language model's has perplexity instead). */
    private static double orNaN(dev.peft4j.train.metrics.Metrics metrics, String name) {
        return metrics.has(name) ? metrics.get(name) : Double.NaN;
    }

    /** The same run reported under another row's label and group. */
    public CellResult relabelled(String newLabel, String newGroup) {
        return new CellResult(newLabel, newGroup, task, seed, metric, score, testAccuracy, testF1, bestEpoch,
                adapterParams, headParams, wallSeconds, examplesPerSecond, peakRssMb, adapterBytes, validation, curve,
                scores, generations);
    }
}
