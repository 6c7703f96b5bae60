package dev.peft4j.apps.experiments;

import dev.peft4j.apps.diffusion.PersonalisationScores;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/**
 * The report of a DiT personalisation grid (the paper's Table VI at this machine's scale): per concept and row the
 * means over seeds of subject fidelity (against the real test images), recognition, prior preservation after
 * personalisation and of the base, with trainable parameters, adapter bytes and training wall time; the real shots
 * as the reference row; an average over concepts; each row's grid of generated images; and a plot of subject
 * fidelity against trainable parameters.
 */
final class PersonalisationReport {

    private PersonalisationReport() {
    }

    static String markdown(ExperimentConfig config, List<CellResult> cells) {
        StringBuilder md = new StringBuilder("# ").append(config.name()).append("\n\nModel ").append(config.model())
                .append("; mean over seeds ").append(config.seeds()).append(". Judged by the shipped ViT classifier "
                        + "(vit-fashion-mnist): subject fidelity = mean cosine similarity of its class-token features "
                        + "between generated images of the concept's row and the concept's real test images "
                        + "(DINO / CLIP-I analogue; learning rates were chosen on the same figure against held-out "
                        + "training images, never on the test images); recognition = share of generated concept "
                        + "images classified as the concept; prior = share of the trained classes' generated images "
                        + "classified as their class, after personalisation and for the base on the same seeds. "
                        + "s/run is the training's wall time.\n");
        for (String task : config.tasks()) {
            md.append("\n## ").append(task).append("\n\n").append(header());
            for (ExperimentConfig.MethodRow row : config.methods()) {
                List<CellResult> runs = runs(cells, row.label(), List.of(task));
                if (!runs.isEmpty()) {
                    md.append(line(row.label(), runs));
                }
            }
            md.append(shotsLine(runs(cells, null, List.of(task))));
        }
        if (config.tasks().size() > 1) {
            md.append("\n## average over concepts ").append(config.tasks()).append("\n\n").append(header());
            for (ExperimentConfig.MethodRow row : config.methods()) {
                List<CellResult> runs = runs(cells, row.label(), config.tasks());
                if (runs.stream().map(CellResult::task).distinct().count() == config.tasks().size()) {
                    md.append(line(row.label(), runs));
                }
            }
            md.append(shotsLine(runs(cells, null, config.tasks())));
        }
        return md.append(grids(config, cells)).toString();
    }

    private static String header() {
        return "| method | trainable params | subject fidelity | validation fidelity | recognition | prior | "
                + "base prior | adapter file | s/run | seeds |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    }

    private static String line(String label, List<CellResult> runs) {
        return String.format(Locale.ROOT, "| %s | %,d | %.4f | %.4f | %.3f | %s | %s | %s | %.0f | %d |%n", label,
                runs.get(0).adapterParams(), mean(runs, PersonalisationScores.SUBJECT_FIDELITY),
                mean(runs, PersonalisationScores.VALIDATION_FIDELITY), mean(runs, PersonalisationScores.RECOGNITION),
                share(runs, PersonalisationScores.PRIOR_PRESERVATION),
                share(runs, PersonalisationScores.BASE_PRIOR_PRESERVATION),
                runs.get(0).adapterBytes() == 0 ? "-" : String.format(Locale.ROOT, "%,d B", runs.get(0).adapterBytes()),
                ExperimentReport.mean(runs.stream().mapToDouble(CellResult::wallSeconds).toArray()),
                runs.stream().map(CellResult::seed).distinct().count());
    }

    /** The real shots against the real test images: what a perfect generator of the shots would score. */
    private static String shotsLine(List<CellResult> runs) {
        if (runs.isEmpty()) {
            return "";
        }
        return String.format(Locale.ROOT, "| real shots (reference: the ceiling) | - | %.4f | - | - | - | - | - | - "
                + "| %d |%n", mean(runs, PersonalisationScores.SHOTS_FIDELITY),
                runs.stream().map(CellResult::seed).distinct().count());
    }

    /** Each row's concept grid of the first seed, per concept. */
    private static String grids(ExperimentConfig config, List<CellResult> cells) {
        long seed = config.seeds().get(0);
        StringBuilder md = new StringBuilder();
        for (String task : config.tasks()) {
            List<String> lines = new ArrayList<>();
            for (ExperimentConfig.MethodRow row : config.methods()) {
                cells.stream().filter(c -> c.label().equals(row.label()) && c.task().equals(task) && c.seed() == seed
                        && c.images() != null).findFirst().ifPresent(c -> lines.add("| " + row.label() + " | !["
                                + row.label() + "](" + c.images() + ") |\n"));
            }
            if (!lines.isEmpty()) {
                md.append("\n### generated ").append(task).append(" images (seed ").append(seed)
                        .append(")\n\n| method | grid |\n|---|---|\n");
                lines.forEach(md::append);
            }
        }
        return md.toString();
    }

    static void plots(ExperimentConfig config, List<CellResult> cells, Path dir) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(config.model()
                + ": subject fidelity vs trainable parameters, mean over concepts and seeds")
                .xAxisTitle("trainable parameters (log)").yAxisTitle("subject fidelity").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(12);
        for (ExperimentConfig.MethodRow row : config.methods()) {
            List<CellResult> runs = runs(cells, row.label(), config.tasks());
            if (!runs.isEmpty() && runs.get(0).adapterParams() > 0) {
                chart.addSeries(row.label(), new double[] {runs.get(0).adapterParams()},
                        new double[] {mean(runs, PersonalisationScores.SUBJECT_FIDELITY)});
            }
        }
        if (!chart.getSeriesMap().isEmpty()) {
            BitmapEncoder.saveBitmap(chart, dir.resolve("fidelity-vs-params").toString(),
                    BitmapEncoder.BitmapFormat.PNG);
        }
    }

    /** The cells of {@code label} (any row when null) on {@code tasks}. */
    private static List<CellResult> runs(List<CellResult> cells, String label, List<String> tasks) {
        return cells.stream().filter(c -> (label == null || c.label().equals(label)) && tasks.contains(c.task()))
                .toList();
    }

    private static double mean(List<CellResult> runs, String key) {
        return ExperimentReport.mean(runs.stream().mapToDouble(c -> c.scores().getOrDefault(key, Double.NaN))
                .toArray());
    }

    /** A share's mean, or "-" where it was not measured. */
    private static String share(List<CellResult> runs, String key) {
        double value = mean(runs, key);
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.3f", value);
    }
}
