package dev.peft4j.apps.experiments;

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

    static void write(ExperimentConfig config, List<ExperimentReport.Aggregate> aggregates, List<CellResult> cells,
            Path dir) throws IOException {
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
        for (String task : config.tasks()) {
            lossCurves(config, task, dir);
            convergence(config, task, cells, dir);
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
            rankSweep(config, group, aggregates, dir);
        }
    }

    /**
     * For a group whose rows differ in rank (the paper's rank ablation, Table XII), score against rank on a log
     * axis, one line per method and task: {@code sweep-<group>.png}.
     */
    private static void rankSweep(ExperimentConfig config, String group, List<ExperimentReport.Aggregate> aggregates,
            Path dir) throws IOException {
        List<ExperimentConfig.MethodRow> rows = config.methods().stream()
                .filter(r -> r.groupOrMain().equals(group)).toList();
        if (rows.size() < 2 || rows.stream().anyMatch(r -> r.rank() == null)
                || rows.stream().map(r -> r.method() + "/" + r.rank()).distinct().count() < rows.size()) {
            return;
        }
        XYChart chart = new XYChartBuilder().width(800).height(500).title(config.model() + ": score vs rank (" + group + " group)")
                .xAxisTitle("rank r (log)").yAxisTitle("score (%)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(8);
        chart.getStyler().setYAxisDecimalPattern("0.0");
        for (String method : rows.stream().map(ExperimentConfig.MethodRow::method).distinct().toList()) {
            for (String task : config.tasks()) {
                List<Double> ranks = new ArrayList<>();
                List<Double> scores = new ArrayList<>();
                for (ExperimentConfig.MethodRow row : rows) {
                    if (!row.method().equals(method)) {
                        continue;
                    }
                    aggregates.stream().filter(a -> a.label().equals(row.label()) && a.group().equals(group)
                            && a.task().equals(task)).findFirst().ifPresent(a -> {
                                ranks.add((double) row.rank());
                                scores.add(100 * a.medianScore());
                            });
                }
                if (!ranks.isEmpty()) {
                    chart.addSeries(method + " on " + task, ranks, scores);
                }
            }
        }
        if (!chart.getSeriesMap().isEmpty()) {
            save(chart, dir.resolve("sweep-" + group + ".png"));
        }
    }

    /**
     * The paper's "faster convergence" figure: validation score against optimiser steps for every row that records a
     * curve ({@code "curve": true}), the median over its seeds at each step: {@code convergence-<task>.png}.
     */
    private static void convergence(ExperimentConfig config, String task, List<CellResult> cells, Path dir)
            throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(config.model() + " on " + task
                + ": validation " + config.metricFor(task) + " vs steps (median of seeds)").xAxisTitle("optimiser step")
                .yAxisTitle("validation " + config.metricFor(task) + " (%)").build();
        chart.getStyler().setMarkerSize(6);
        chart.getStyler().setYAxisDecimalPattern("0.0"); // a curve of few values gets a tick at 57.14285714285714
        for (ExperimentConfig.MethodRow row : config.methods()) {
            if (!row.hasCurve()) {
                continue;
            }
            java.util.TreeMap<Integer, List<Double>> byStep = new java.util.TreeMap<>();
            cells.stream().filter(c -> c.label().equals(row.label()) && c.task().equals(task))
                    .flatMap(c -> c.curve().stream())
                    .forEach(p -> byStep.computeIfAbsent(p.step(), k -> new ArrayList<>()).add(p.validation()));
            if (byStep.size() < 2) {
                continue;
            }
            List<Double> steps = new ArrayList<>();
            List<Double> scores = new ArrayList<>();
            byStep.forEach((step, values) -> {
                steps.add((double) step);
                scores.add(100 * ExperimentReport.median(values.stream().mapToDouble(Double::doubleValue).toArray()));
            });
            chart.addSeries(row.label(), steps, scores);
        }
        if (!chart.getSeriesMap().isEmpty()) {
            save(chart, dir.resolve("convergence-" + task + ".png"));
        }
    }

    /** Training loss against optimiser step for each main row, first seed, from the runs' metrics.jsonl. */
    private static void lossCurves(ExperimentConfig config, String task, Path dir) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(config.model() + " on " + task
                + ": training loss (seed " + config.seeds().get(0) + ")").xAxisTitle("optimiser step")
                .yAxisTitle("mean training loss so far in the epoch").build();
        chart.getStyler().setMarkerSize(0);
        for (ExperimentConfig.MethodRow row : config.methods()) {
            if (!row.groupOrMain().equals("main")) {
                continue;
            }
            Path metrics = dir.resolve("runs").resolve(ExperimentRunner.cellId(row, task, config.seeds().get(0)))
                    .resolve("metrics.jsonl");
            if (!java.nio.file.Files.exists(metrics)) {
                continue;
            }
            List<Double> steps = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            for (String line : java.nio.file.Files.readAllLines(metrics)) {
                var node = ExperimentRunner.JSON.readTree(line);
                if ("step".equals(node.path("event").asText())) {
                    steps.add(node.path("step").asDouble());
                    losses.add(node.path("loss").asDouble());
                }
            }
            if (!steps.isEmpty()) {
                chart.addSeries(row.label(), steps, losses);
            }
        }
        if (!chart.getSeriesMap().isEmpty()) {
            save(chart, dir.resolve("loss-" + task + ".png"));
        }
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) throws IOException {
        String base = file.toString().replaceFirst("\\.png$", "");
        BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
    }
}
