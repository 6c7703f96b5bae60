package dev.peft4j.train.metrics;

/** Which way a metric improves: what "the best epoch" means for it. */
public enum Direction {
    /** Accuracy, F1, MCC: larger is better. */
    HIGHER_IS_BETTER,
    /** Loss, perplexity, MSE: smaller is better. */
    LOWER_IS_BETTER;

    /** Whether {@code candidate} beats {@code incumbent}; NaN never does, so a diverged epoch is never picked. */
    public boolean isBetter(double candidate, double incumbent) {
        return this == HIGHER_IS_BETTER ? candidate > incumbent : candidate < incumbent;
    }

    /** A score every finite value beats: the incumbent before the first epoch. */
    public double worst() {
        return this == HIGHER_IS_BETTER ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    /** "higher is better" / "lower is better", for messages. */
    public String describe() {
        return this == HIGHER_IS_BETTER ? "higher is better" : "lower is better";
    }
}
