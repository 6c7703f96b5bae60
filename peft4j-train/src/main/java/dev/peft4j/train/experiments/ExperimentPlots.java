package dev.peft4j.train.experiments;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/**
 * PNG plots with XChart: score against trainable parameters (log scale) per task, as the paper's
 * Figure 1, and one bar chart per ablation group.
 */
final class ExperimentPlots {

    private ExperimentPlots() {
    }

    static void write(ExperimentConfig config, List<ExperimentReport.Aggregate> aggregates, Path dir) throws IOException {
        for (String task : config.tasks()) {
            List<ExperimentReport.Aggregate> main = aggregates.stream()
                    .filter(a -> a.task().equals(task) && a.group().equals("main") && a.adapterParams() > 0).toList();
            if (!main.isEmpty()) {
                XYChart chart = new XYChartBuilder().width(800).height(500)
                        .title(config.model() + " on " + task + ": " + config.metricFor(task) + " vs trainable parameters")
                        .xAxisTitle("trainable parameters (log)").yAxisTitle(config.metricFor(task) + " (%)").build();
                chart.getStyler().setXAxisLogarithmic(true);
                chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
                chart.getStyler().setMarkerSize(12);
                for (ExperimentReport.Aggregate a : main) {
                    chart.addSeries(a.label(), new double[] {a.adapterParams()}, new double[] {100 * a.medianScore()});
                }
                save(chart, dir.resolve("params-vs-" + task + ".png"));
            }
        }
        for (String group : ExperimentReport.groups(config)) {
            if (group.equals("main")) {
                continue;
            }
            CategoryChart chart = new CategoryChartBuilder().width(900).height(500)
                    .title("Ablation: " + group).xAxisTitle("setting").yAxisTitle("score (%)").build();
            for (String task : config.tasks()) {
                List<String> labels = new ArrayList<>();
                List<Double> scores = new ArrayList<>();
                for (ExperimentReport.Aggregate a : aggregates) {
                    if (a.group().equals(group) && a.task().equals(task)) {
                        labels.add(a.label());
                        scores.add(100 * a.medianScore());
                    }
                }
                if (!labels.isEmpty()) {
                    chart.addSeries(task, labels, scores);
                }
            }
            if (!chart.getSeriesMap().isEmpty()) {
                save(chart, dir.resolve("ablation-" + group + ".png"));
            }
        }
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
        String base = file.toString().replaceFirst("\\.png$", "");
        BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
    }
}
