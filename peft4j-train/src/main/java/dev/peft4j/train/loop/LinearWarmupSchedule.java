package dev.peft4j.train.loop;

/**
 * Learning-rate multiplier with linear warm-up then linear decay to zero, as Hugging Face's
 * {@code get_linear_schedule_with_warmup}. Kept as plain arithmetic on the step so that a resumed
 * run sees the same rates (DJL's trackers count updates internally, which a checkpoint can't restore).
 */
record LinearWarmupSchedule(int warmupSteps, int totalSteps) {

    double factor(int step) {
        if (step < warmupSteps) {
            return (double) (step + 1) / Math.max(1, warmupSteps);
        }
        return Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    }
}
