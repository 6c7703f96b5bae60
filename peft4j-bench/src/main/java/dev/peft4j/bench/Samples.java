package dev.peft4j.bench;

import java.util.Arrays;

/**
 * Repeated timings of one thing, in seconds. The median is the figure reported: on a shared machine the mean is pulled
 * by the few repetitions that another process interrupted, the median is not. The spread (min, max) is kept so that a
 * reader can see how noisy the run was.
 */
record Samples(double[] seconds) {

    Samples {
        if (seconds.length == 0) {
            throw new IllegalArgumentException("No measurements: repetitions must be at least 1");
        }
        seconds = seconds.clone();
    }

    /** Runs {@code task} {@code warmup} times untimed, then {@code repetitions} times timed. */
    static Samples time(int warmup, int repetitions, Runnable task) {
        for (int i = 0; i < warmup; i++) {
            task.run();
        }
        double[] seconds = new double[repetitions];
        for (int i = 0; i < repetitions; i++) {
            long start = System.nanoTime();
            task.run();
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        return new Samples(seconds);
    }

    double median() {
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    double min() {
        return Arrays.stream(seconds).min().orElseThrow();
    }

    double max() {
        return Arrays.stream(seconds).max().orElseThrow();
    }

    int count() {
        return seconds.length;
    }

    /** Median and spread in milliseconds, for the JSON report. */
    java.util.Map<String, Object> toMillisJson() {
        java.util.Map<String, Object> json = new java.util.LinkedHashMap<>();
        json.put("median_ms", median() * 1e3);
        json.put("min_ms", min() * 1e3);
        json.put("max_ms", max() * 1e3);
        json.put("n", count());
        return json;
    }
}
