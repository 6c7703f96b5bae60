package dev.peft4j.train.metrics;

/**
 * The definition of one named figure an {@link Evaluator} reports: its name (as {@code --metric} spells it and as it
 * appears in {@code metrics.jsonl}) and the direction in which it improves.
 */
public record Metric(String name, Direction direction) {

    public Metric {
        if (name == null || name.isBlank() || name.equals("count")) {
            throw new IllegalArgumentException("A metric needs a non-blank name other than 'count' (reserved for the "
                    + "number of examples), found '" + name + "'");
        }
        if (direction == null) {
            throw new IllegalArgumentException("Metric '" + name + "' needs a direction (higher or lower is better)");
        }
    }

    public static Metric higherIsBetter(String name) {
        return new Metric(name, Direction.HIGHER_IS_BETTER);
    }

    public static Metric lowerIsBetter(String name) {
        return new Metric(name, Direction.LOWER_IS_BETTER);
    }
}
