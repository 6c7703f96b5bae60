package dev.peft4j.apps.experiments;

import dev.peft4j.core.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The paper-style tables: per method row and task, the median over seeds of the best epoch's test
 * score; {@code results.md} (one table per group), {@code results.json} and PNG plots.
 */
public final class ExperimentReport {

    private ExperimentReport() {
    }

    /**
     * The seeds' results of one row on one task: median (the paper's figure), mean and sample standard deviation of
     * the score.
     */
    public record Aggregate(String label, String group, String task, int seeds, double medianScore,
            double medianAccuracy, long adapterParams, long headParams, double medianWallSeconds,
            double medianExamplesPerSecond, double maxPeakRssMb, long adapterBytes, double meanScore,
            double stdScore) {
    }

    /**
     * Row {@code a} minus row {@code b} on one task, seed by seed (the seeds both have): the paired comparison, which
     * cancels what a seed does to both (data order, head initialisation).
     */
    public record PairedDifference(String a, String b, String task, List<Long> seeds, List<Double> differences,
            double mean, double std, int aWins) {
    }

    public static List<Aggregate> aggregate(ExperimentConfig config, List<CellResult> cells) {
        List<Aggregate> aggregates = new ArrayList<>();
        for (ExperimentConfig.MethodRow row : config.methods()) {
            for (String task : config.tasks()) {
                List<CellResult> runs = cells.stream()
                        .filter(c -> c.label().equals(row.label()) && c.task().equals(task)).toList();
                if (runs.isEmpty()) {
                    continue;
                }
                aggregates.add(new Aggregate(row.label(), row.groupOrMain(), task, runs.size(),
                        median(runs.stream().mapToDouble(CellResult::score).toArray()),
                        median(runs.stream().mapToDouble(CellResult::testAccuracy).toArray()),
                        runs.get(0).adapterParams(), runs.get(0).headParams(),
                        median(runs.stream().mapToDouble(CellResult::wallSeconds).toArray()),
                        median(runs.stream().mapToDouble(CellResult::examplesPerSecond).toArray()),
                        runs.stream().mapToDouble(CellResult::peakRssMb).max().orElse(0),
                        runs.get(0).adapterBytes(), mean(scores(runs)), std(scores(runs))));
            }
        }
        return aggregates;
    }

    private static double[] scores(List<CellResult> runs) {
        return runs.stream().mapToDouble(CellResult::score).toArray();
    }

    static double mean(double[] values) {
        return java.util.Arrays.stream(values).average().orElse(Double.NaN);
    }

    /** The sample standard deviation (n - 1); 0 for one value. */
    static double std(double[] values) {
        if (values.length < 2) {
            return 0;
        }
        double mean = mean(values);
        double squares = java.util.Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum();
        return Math.sqrt(squares / (values.length - 1));
    }

    /**
     * Every main LoLDU row against every main LoRA and full fine-tuning row, per task, over their common seeds (none
     * when the grid lacks either side).
     */
    public static List<PairedDifference> pairedDifferences(ExperimentConfig config, List<CellResult> cells) {
        List<PairedDifference> out = new ArrayList<>();
        List<ExperimentConfig.MethodRow> main = config.methods().stream()
                .filter(r -> r.groupOrMain().equals("main")).toList();
        for (ExperimentConfig.MethodRow a : main) {
            if (!a.method().equals("loldu")) {
                continue;
            }
            for (ExperimentConfig.MethodRow b : main) {
                if (!b.method().equals("lora") && !b.method().equals("full")) {
                    continue;
                }
                for (String task : config.tasks()) {
                    PairedDifference d = paired(a.label(), b.label(), task, cells);
                    if (d != null) {
                        out.add(d);
                    }
                }
            }
        }
        return out;
    }

    static PairedDifference paired(String a, String b, String task, List<CellResult> cells) {
        List<Long> seeds = new ArrayList<>();
        List<Double> differences = new ArrayList<>();
        for (CellResult x : cells) {
            if (!x.label().equals(a) || !x.task().equals(task)) {
                continue;
            }
            cells.stream().filter(y -> y.label().equals(b) && y.task().equals(task) && y.seed() == x.seed())
                    .findFirst().ifPresent(y -> {
                        seeds.add(x.seed());
                        differences.add(x.score() - y.score());
                    });
        }
        if (seeds.isEmpty()) {
            return null;
        }
        double[] values = differences.stream().mapToDouble(Double::doubleValue).toArray();
        return new PairedDifference(a, b, task, seeds, differences, mean(values), std(values),
                (int) differences.stream().filter(v -> v > 0).count());
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    public static void write(ExperimentConfig config, List<CellResult> cells, Path outputDir) throws IOException {
        write(config, cells, List.of(), List.of(), outputDir);
    }

    /**
     * The report with the learning rates each grid row chose on validation (and every grid point's scores), and
     * {@code notRunYet}: the rows and tasks short of seeds, said under the tables so a partial table never passes
     * for a whole one.
     */
    public static void write(ExperimentConfig config, List<CellResult> cells,
            List<ExperimentRunner.LrSelection> selections, List<String> notRunYet, Path outputDir)
            throws IOException {
        List<Aggregate> aggregates = aggregate(config, cells);
        // a decoder grid's cell score is a perplexity; its comparison is the table of generation scores
        List<PairedDifference> paired = config.isDecoder() ? List.of() : pairedDifferences(config, cells);
        String tables = config.isDecoder() ? InstructionReport.markdown(config, cells)
                : config.isDiffusion() ? PersonalisationReport.markdown(config, cells) + pairedMarkdown(paired)
                : markdown(config, aggregates) + spreadMarkdown(config, aggregates) + pairedMarkdown(paired);
        AtomicFiles.writeString(outputDir.resolve("results.md"), tables + selectionMarkdown(selections)
                + gridPointsMarkdown(selections) + notRunYetMarkdown(notRunYet));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("config", config);
        json.put("aggregates", aggregates);
        json.put("cells", cells);
        json.put("paired_differences", paired);
        json.put("lr_selection", selections);
        json.put("not_run_yet", notRunYet);
        AtomicFiles.writeString(outputDir.resolve("results.json"), ExperimentRunner.JSON.writeValueAsString(json));
        if (config.isDecoder()) {
            InstructionReport.plots(config, cells, outputDir);
        } else if (config.isDiffusion()) {
            PersonalisationReport.plots(config, cells, outputDir);
        } else {
            ExperimentPlots.write(config, aggregates, cells, outputDir);
        }
    }

    static String markdown(ExperimentConfig config, List<Aggregate> aggregates) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(config.name()).append("\n\nModel ").append(config.model()).append("; median over seeds ")
                .append(config.seeds()).append(" of the test score at the best validation epoch. Trainable params ")
                .append("count the adapter only; the classification head is trained in every row and listed apart. ")
                .append(config.defaults().precision() == null
                        ? "Precision: each machine's auto (the base in bf16 where the CPU has bf16 matrix units).\n"
                        : "Precision: the base's matrix products in " + config.defaults().precision()
                                + " in every cell.\n");
        for (String group : groups(config)) {
            if (aggregates.stream().noneMatch(a -> a.group().equals(group))) {
                continue; // nothing finished yet in this group
            }
            md.append("\n## ").append(group).append("\n\n| method | trainable params | head params |");
            for (String task : config.tasks()) {
                md.append(' ').append(task).append(" (").append(config.metricFor(task)).append(") |");
            }
            md.append(" avg | s/run | ex/s | peak RSS MB | adapter file |\n|---|---:|---:|");
            md.append("---:|".repeat(config.tasks().size())).append("---:|---:|---:|---:|---:|\n");
            for (ExperimentConfig.MethodRow row : config.methods()) {
                if (!row.groupOrMain().equals(group)) {
                    continue;
                }
                List<Aggregate> rowResults = aggregates.stream().filter(a -> a.label().equals(row.label())).toList();
                if (rowResults.isEmpty()) {
                    continue;
                }
                Aggregate first = rowResults.get(0);
                md.append(String.format(Locale.ROOT, "| %s | %,d | %,d |", row.label(), first.adapterParams(),
                        first.headParams()));
                double sum = 0;
                int count = 0;
                for (String task : config.tasks()) {
                    Aggregate a = rowResults.stream().filter(r -> r.task().equals(task)).findFirst().orElse(null);
                    if (a == null) {
                        md.append(" - |");
                    } else {
                        md.append(String.format(Locale.ROOT, " %.2f |", 100 * a.medianScore()));
                        sum += a.medianScore();
                        count++;
                    }
                }
                md.append(String.format(Locale.ROOT, " %.2f | %.0f | %.1f | %.0f | %s |%n", count == 0 ? 0 : 100 * sum / count,
                        rowResults.stream().mapToDouble(Aggregate::medianWallSeconds).average().orElse(0),
                        rowResults.stream().mapToDouble(Aggregate::medianExamplesPerSecond).average().orElse(0),
                        rowResults.stream().mapToDouble(Aggregate::maxPeakRssMb).max().orElse(0),
                        humanBytes(first.adapterBytes())));
            }
        }
        return md.toString();
    }

    /** Mean and standard deviation over seeds, per row and task: how much of a gap the seeds alone make. */
    static String spreadMarkdown(ExperimentConfig config, List<Aggregate> aggregates) {
        if (aggregates.stream().allMatch(a -> a.seeds() < 2)) {
            return "";
        }
        StringBuilder md = new StringBuilder("\n## mean ± standard deviation over seeds\n\n| method | group |");
        config.tasks().forEach(t -> md.append(' ').append(t).append(" |"));
        md.append("\n|---|---|").append("---:|".repeat(config.tasks().size())).append('\n');
        for (ExperimentConfig.MethodRow row : config.methods()) {
            List<Aggregate> rowResults = aggregates.stream().filter(a -> a.label().equals(row.label())).toList();
            if (rowResults.isEmpty()) {
                continue;
            }
            md.append("| ").append(row.label()).append(" | ").append(row.groupOrMain()).append(" |");
            for (String task : config.tasks()) {
                Aggregate a = rowResults.stream().filter(r -> r.task().equals(task)).findFirst().orElse(null);
                md.append(a == null ? " - |" : String.format(Locale.ROOT, " %.2f ± %.2f (n=%d) |", 100 * a.meanScore(),
                        100 * a.stdScore(), a.seeds()));
            }
            md.append('\n');
        }
        return md.toString();
    }

    /** The paired differences, in points. */
    static String pairedMarkdown(List<PairedDifference> paired) {
        if (paired.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder("\n## paired differences over seeds (points)\n\n"
                + "| A | B | task | A - B per seed | mean ± std | A ahead |\n|---|---|---|---|---:|---:|\n");
        for (PairedDifference d : paired) {
            List<String> perSeed = new ArrayList<>();
            for (int i = 0; i < d.seeds().size(); i++) {
                perSeed.add(String.format(Locale.ROOT, "%d: %+.2f", d.seeds().get(i), 100 * d.differences().get(i)));
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %+.2f ± %.2f | %d of %d |%n", d.a(), d.b(),
                    d.task(), String.join(", ", perSeed), 100 * d.mean(), 100 * d.std(), d.aWins(), d.seeds().size()));
        }
        return md.toString();
    }

    /** The rows and tasks still short of seeds, under their own heading; nothing once every cell is in. */
    static String notRunYetMarkdown(List<String> notRunYet) {
        if (notRunYet.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder("\n## not run yet\n\nThe tables above leave these out:\n\n");
        notRunYet.forEach(entry -> md.append("- ").append(entry).append('\n'));
        return md.toString();
    }

    /** One line per grid row and task: the rates chosen on validation and how many points were tried. */
    static String selectionMarkdown(List<ExperimentRunner.LrSelection> selections) {
        if (selections.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder("\n## learning rates chosen on validation\n\nA tie on the validation "
                + "score goes to the lower validation loss where both points record it, else to the first in grid "
                + "order.\n\n"
                + "| method | task | seed | points | chosen lr | chosen head lr | its validation | points tied |\n"
                + "|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (ExperimentRunner.LrSelection s : selections) {
            Double validation = s.grid().stream().filter(p -> p.lr() == s.lr() && p.headLr() == s.headLr())
                    .findFirst().map(ExperimentRunner.GridPoint::validation).orElse(null);
            // with a handful of validation positives, several points often share the best score
            long tied = s.grid().stream().filter(p -> validation != null && validation.equals(p.validation())).count();
            md.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %g | %g | %s | %d |%n", s.label(), s.task(),
                    s.seed(), s.grid().size(), s.lr(), s.headLr(),
                    fourPlaces(validation), tied));
        }
        return md.toString();
    }

    /**
     * Every grid point's scores on the selection seed, so that a reader sees how much the choice mattered (and how a
     * fixed default rate would have fared) without opening results.json.
     */
    static String gridPointsMarkdown(List<ExperimentRunner.LrSelection> selections) {
        if (selections.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder("\n## every grid point\n\nThe selection seed's runs, one per point: "
                + "validation score and loss at the best epoch, and the test score there, each as the metric gives it "
                + "(a fraction, not a percentage).\n\n"
                + "| method | task | lr | head lr | validation | validation loss | test | chosen |\n"
                + "|---|---|---:|---:|---:|---:|---:|---|\n");
        for (ExperimentRunner.LrSelection s : selections) {
            for (ExperimentRunner.GridPoint p : s.grid()) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %g | %g | %s | %s | %.4f | %s |%n", s.label(),
                        s.task(), p.lr(), p.headLr(), fourPlaces(p.validation()), fourPlaces(p.validationLoss()),
                        p.test(), p.lr() == s.lr() && p.headLr() == s.headLr() ? "yes" : ""));
            }
        }
        return md.toString();
    }

    private static String fourPlaces(Double value) {
        return value == null ? "-" : String.format(Locale.ROOT, "%.4f", value);
    }

    static List<String> groups(ExperimentConfig config) {
        List<String> groups = new ArrayList<>();
        for (ExperimentConfig.MethodRow row : config.methods()) {
            if (!groups.contains(row.groupOrMain())) {
                groups.add(row.groupOrMain());
            }
        }
        return groups;
    }

    private static String humanBytes(long bytes) {
        return bytes < 10_000 ? bytes + " B" : String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0);
    }
}
