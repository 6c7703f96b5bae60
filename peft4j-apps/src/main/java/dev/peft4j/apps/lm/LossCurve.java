package dev.peft4j.apps.lm;

import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainingListener;
import dev.peft4j.train.metrics.Metrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The pretraining loss curve: every {@code every} optimiser steps, the mean training loss of those steps and the
 * loss on a fixed sample of the validation windows, rewritten to a TSV file (atomically, so a killed run leaves the
 * curve up to its last point). The training loss of a single step is recovered from the trainer's running epoch mean.
 */
final class LossCurve implements TrainingListener {

    /** One point: step, mean training loss since the previous point, validation loss, seconds since the start. */
    record Point(int step, double trainLoss, double validationLoss, double seconds) {
    }

    private final int every;
    private final Supplier<Metrics> validation;
    private final Path file;
    private final List<Point> points = new ArrayList<>();
    private final long start = System.nanoTime();
    private int epoch = -1;
    private int stepsInEpoch;
    private double previousMean;
    private double sinceLastPoint;
    private int stepsSinceLastPoint;

    /**
     * @param validation evaluates the validation sample ({@link Trainer#evaluate}) and returns its metrics
     * @param file the TSV to rewrite after each point, or null
     */
    LossCurve(int every, Supplier<Metrics> validation, Path file) {
        if (every < 1) {
            throw new IllegalArgumentException("Loss-curve interval must be >= 1 step, found " + every);
        }
        this.every = every;
        this.validation = validation;
        this.file = file;
    }

    @Override
    public void onStep(StepEnd event) {
        if (event.epoch() != epoch) {
            epoch = event.epoch();
            stepsInEpoch = 0;
            previousMean = 0;
        }
        stepsInEpoch++;
        // meanLoss is the epoch's running mean over micro-batches; with one micro-batch per step this is exact
        double stepLoss = event.meanLoss() * stepsInEpoch - previousMean * (stepsInEpoch - 1);
        previousMean = event.meanLoss();
        sinceLastPoint += stepLoss;
        stepsSinceLastPoint++;
        if (event.globalStep() % every == 0) {
            double validationLoss = validation.get().get("loss");
            points.add(new Point(event.globalStep(), sinceLastPoint / stepsSinceLastPoint, validationLoss,
                    (System.nanoTime() - start) / 1e9));
            sinceLastPoint = 0;
            stepsSinceLastPoint = 0;
            System.err.printf(Locale.ROOT, "peft4j: step %d  train loss %.4f  validation loss %.4f%n",
                    event.globalStep(), points.get(points.size() - 1).trainLoss(), validationLoss);
            write();
        }
    }

    List<Point> points() {
        return List.copyOf(points);
    }

    private void write() {
        if (file == null) {
            return;
        }
        StringBuilder tsv = new StringBuilder("step\ttrain_loss\tvalidation_loss\tseconds\n");
        for (Point p : points) {
            tsv.append(String.format(Locale.ROOT, "%d\t%.5f\t%.5f\t%.1f%n", p.step(), p.trainLoss(),
                    p.validationLoss(), p.seconds()));
        }
        try {
            AtomicFiles.writeString(file, tsv.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the loss curve " + file, e);
        }
    }
}
