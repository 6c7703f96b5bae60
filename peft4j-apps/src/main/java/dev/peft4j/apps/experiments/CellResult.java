package dev.peft4j.apps.experiments;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * One finished run of the grid: a method row on a task with a seed. Written as
 * {@code cells/<id>.json} so that a re-run skips it. {@code curve}: every validation pass (the epoch ends, and more
 * where the row asks for a convergence curve). {@code images}: a grid of the run's generated images (personalisation),
 * relative to the experiment's output folder once the runner has recorded the cell (relative to the run's own folder
 * as the run writes it); null for runs that generate none.
 */
public record CellResult(String label, String group, String task, long seed, String metric,
        @JsonProperty("score") double score, @JsonProperty("test_accuracy") double testAccuracy,
        @JsonProperty("test_f1") double testF1, @JsonProperty("best_epoch") int bestEpoch,
        @JsonProperty("adapter_params") long adapterParams, @JsonProperty("head_params") long headParams,
        @JsonProperty("wall_seconds") double wallSeconds, @JsonProperty("examples_per_second") double examplesPerSecond,
        @JsonProperty("peak_rss_mb") double peakRssMb, @JsonProperty("adapter_bytes") long adapterBytes,
        @JsonProperty("validation") Double validation, @JsonProperty("curve") List<CurvePoint> curve,
        @JsonProperty("scores") Map<String, Double> scores, @JsonProperty("generations") List<Generation> generations,
        @JsonProperty("images") String images, @JsonProperty("validation_loss") Double validationLoss) {

    public CellResult {
        curve = curve == null ? List.of() : List.copyOf(curve);
        scores = scores == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(scores));
        generations = generations == null ? List.of() : List.copyOf(generations);
    }

    /** A cell without generated images. */
    public CellResult(String label, String group, String task, long seed, String metric, double score,
            double testAccuracy, double testF1, int bestEpoch, long adapterParams, long headParams, double wallSeconds,
            double examplesPerSecond, double peakRssMb, long adapterBytes, Double validation, List<CurvePoint> curve,
            Map<String, Double> scores, List<Generation> generations) {
        this(label, group, task, seed, metric, score, testAccuracy, testF1, bestEpoch, adapterParams, headParams,
                wallSeconds, examplesPerSecond, peakRssMb, adapterBytes, validation, curve, scores, generations, null,
                null);
    }

    /** This cell with its image grid at {@code path}. */
    public CellResult withImages(String path) {
        return new CellResult(label, group, task, seed, metric, score, testAccuracy, testF1, bestEpoch, adapterParams,
                headParams, wallSeconds, examplesPerSecond, peakRssMb, adapterBytes, validation, curve, scores,
                generations, path, validationLoss);
    }

    /**
     * This cell with the best epoch's validation loss: what breaks a tie between grid points on the validation
     * score, which a split with a handful of positives makes common (null in cells written before it was recorded).
     */
    public CellResult withValidationLoss(Double loss) {
        return new CellResult(label, group, task, seed, metric, score, testAccuracy, testF1, bestEpoch, adapterParams,
                headParams, wallSeconds, examplesPerSecond, peakRssMb, adapterBytes, validation, curve, scores,
                generations, images, loss);
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
                newGenerations, images, validationLoss);
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
                r.curve().stream().map(p -> new CurvePoint(p.step(), p.validation().get(metric))).toList())
                .withValidationLoss(r.bestValidation() != null && r.bestValidation().has("loss")
                        ? r.bestValidation().get("loss") : null);
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

    /**
     * A personalisation run as a cell: the score is the subject fidelity against the real test images, the validation
     * score the subject fidelity against held-out training images (what a learning-rate grid chooses by), the scores
     * every figure of {@link dev.peft4j.apps.diffusion.PersonalisationScores}, the wall time the training's, and the
     * concept grid {@code images} relative to the run's folder.
     */
    public static CellResult ofPersonalisation(String label, String group, String task, long seed,
            dev.peft4j.apps.diffusion.DitPersonalisation.Report report) {
        dev.peft4j.train.loop.TrainResult r = report.result();
        return new CellResult(label, group, task, seed, dev.peft4j.apps.diffusion.PersonalisationScores.SUBJECT_FIDELITY,
                report.concept().subjectFidelity(), Double.NaN, Double.NaN, r == null ? 0 : r.bestEpoch(),
                report.trainableParameters(), 0, report.trainingSeconds(), r == null ? 0 : r.trainExamplesPerSecond(),
                RunMeasurements.peakRssMb(), report.adapterBytes(), report.concept().validationFidelity(), List.of(),
                dev.peft4j.apps.diffusion.PersonalisationScores.of(report), List.of(),
                dev.peft4j.apps.diffusion.DitPersonalisation.CONCEPT_GRID, null);
    }

    /** A classification metric, NaN in a run that has none (a language model's has perplexity instead). */
    private static double orNaN(dev.peft4j.train.metrics.Metrics metrics, String name) {
        return metrics.has(name) ? metrics.get(name) : Double.NaN;
    }

    /** The same run reported under another row's label and group. */
    public CellResult relabelled(String newLabel, String newGroup) {
        return new CellResult(newLabel, newGroup, task, seed, metric, score, testAccuracy, testF1, bestEpoch,
                adapterParams, headParams, wallSeconds, examplesPerSecond, peakRssMb, adapterBytes, validation, curve,
                scores, generations, images, validationLoss);
    }
}
