package dev.peft4j.apps.experiments;

import dev.peft4j.apps.instruct.InstructionEvaluation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/**
 * The report of a decoder grid (the paper's Table III): per row the trainable parameters, each instruction kind's
 * generation score on the held-out words, their average, the test responses' perplexity and the wall time, medians
 * over seeds; then a few generations side by side; and two plots, average score against trainable parameters and the
 * kinds' scores per row.
 */
final class InstructionReport {

    private InstructionReport() {
    }

    static String markdown(ExperimentConfig config, List<CellResult> cells) {
        List<String> kinds = kinds(cells);
        StringBuilder md = new StringBuilder("# ").append(config.name()).append("\n\nModel ").append(config.model())
                .append("; median over seeds ").append(config.seeds()).append(" at the epoch with the best validation"
                        + " response perplexity. Scores in percent from greedy generations on held-out words: ");
        List<String> legend = new ArrayList<>();
        for (String kind : kinds) {
            legend.add(kind + " by " + InstructionEvaluation.metricName(kind));
        }
        md.append(String.join(", ", legend)).append("; ppl: perplexity of the reference test responses.\n");
        for (String task : config.tasks()) {
            md.append("\n## ").append(task).append("\n\n| method | trainable params |");
            kinds.forEach(k -> md.append(' ').append(k).append(" |"));
            md.append(" avg | ppl | s/run | adapter file |\n|---|---:|").append("---:|".repeat(kinds.size()))
                    .append("---:|---:|---:|---:|\n");
            for (ExperimentConfig.MethodRow row : config.methods()) {
                List<CellResult> runs = runs(cells, row, task);
                if (runs.isEmpty()) {
                    continue;
                }
                md.append(String.format(Locale.ROOT, "| %s | %,d |", row.label(), runs.get(0).adapterParams()));
                for (String kind : kinds) {
                    md.append(String.format(Locale.ROOT, " %.2f |", medianScore(runs, kind)));
                }
                md.append(String.format(Locale.ROOT, " %.2f | %.2f | %.0f | %s |%n",
                        medianScore(runs, InstructionEvaluation.AVERAGE),
                        ExperimentReport.median(runs.stream().mapToDouble(CellResult::score).toArray()),
                        ExperimentReport.median(runs.stream().mapToDouble(CellResult::wallSeconds).toArray()),
                        runs.get(0).adapterBytes() == 0 ? "-" : runs.get(0).adapterBytes() + " B"));
            }
            md.append(generations(config, cells, task));
        }
        return md.toString();
    }

    /** The first seed's generations of every row for the same held-out examples. */
    private static String generations(ExperimentConfig config, List<CellResult> cells, String task) {
        long seed = config.seeds().get(0);
        List<CellResult> firstSeed = cells.stream().filter(c -> c.task().equals(task) && c.seed() == seed
                && !c.generations().isEmpty()).toList();
        if (firstSeed.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder("\n### generations side by side (seed " + seed + ")\n");
        for (CellResult.Generation example : firstSeed.get(0).generations()) {
            md.append("\n**").append(example.kind()).append("**: ").append(escape(example.instruction()));
            if (!example.input().isEmpty()) {
                md.append(" `").append(escape(example.input())).append('`');
            }
            md.append(" (reference: ").append(escape(example.reference())).append(")\n\n| method | response |\n"
                    + "|---|---|\n");
            for (ExperimentConfig.MethodRow row : config.methods()) {
                firstSeed.stream().filter(c -> c.label().equals(row.label())).findFirst()
                        .flatMap(c -> c.generations().stream().filter(g -> g.kind().equals(example.kind())
                                && g.instruction().equals(example.instruction()) && g.input().equals(example.input()))
                                .findFirst())
                        .ifPresent(g -> md.append("| ").append(row.label()).append(" | ")
                                .append(escape(g.generated())).append(" |\n"));
            }
        }
        return md.toString();
    }

    static void plots(ExperimentConfig config, List<CellResult> cells, Path dir) throws IOException {
        List<String> kinds = kinds(cells);
        for (String task : config.tasks()) {
            XYChart params = new XYChartBuilder().width(800).height(500).title(config.model() + " on " + task
                    + ": average generation score vs trainable parameters").xAxisTitle("trainable parameters (log)")
                    .yAxisTitle("average score (%)").build();
            params.getStyler().setXAxisLogarithmic(true);
            params.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            params.getStyler().setMarkerSize(12);
            CategoryChart byKind = new CategoryChartBuilder().width(900).height(500).title(config.model() + " on "
                    + task + ": score per instruction kind").xAxisTitle("kind").yAxisTitle("score (%)").build();
            for (ExperimentConfig.MethodRow row : config.methods()) {
                List<CellResult> runs = runs(cells, row, task);
                if (runs.isEmpty()) {
                    continue;
                }
                if (runs.get(0).adapterParams() > 0) {
                    params.addSeries(row.label(), new double[] {runs.get(0).adapterParams()},
                            new double[] {medianScore(runs, InstructionEvaluation.AVERAGE)});
                }
                List<Double> scores = kinds.stream().map(k -> medianScore(runs, k)).toList();
                byKind.addSeries(row.label(), kinds, scores);
            }
            if (!params.getSeriesMap().isEmpty()) {
                save(params, dir.resolve("params-vs-" + task + ".png"));
            }
            if (!byKind.getSeriesMap().isEmpty()) {
                save(byKind, dir.resolve("kinds-" + task + ".png"));
            }
        }
    }

    private static List<CellResult> runs(List<CellResult> cells, ExperimentConfig.MethodRow row, String task) {
        return cells.stream().filter(c -> c.label().equals(row.label()) && c.task().equals(task)).toList();
    }

    /** The kinds scored in any cell, sorted, without the average. */
    private static List<String> kinds(List<CellResult> cells) {
        TreeSet<String> kinds = new TreeSet<>();
        cells.forEach(c -> kinds.addAll(c.scores().keySet()));
        kinds.remove(InstructionEvaluation.AVERAGE);
        return List.copyOf(kinds);
    }

    private static double medianScore(List<CellResult> runs, String key) {
        return ExperimentReport.median(runs.stream().mapToDouble(c -> c.scores().getOrDefault(key, Double.NaN))
                .toArray());
    }

    private static String escape(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
        BitmapEncoder.saveBitmap(chart, file.toString().replaceFirst("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
    }
}
