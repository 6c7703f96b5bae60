package dev.peft4j.train.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The named metrics of one evaluation pass (one split), in the evaluators' order, with the number of examples.
 * Accessors for the common names read from the same map and fail clearly where the task has no such metric.
 *
 * @param count examples evaluated
 * @param values metric name to value
 */
public record Metrics(int count, Map<String, Double> values) {

    public Metrics {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** The metric called {@code name}, or an error listing the ones this pass has. */
    public double get(String name) {
        Double value = values.get(name);
        if (value == null) {
            throw new IllegalArgumentException("Unknown metric '" + name + "'; this evaluation has "
                    + String.join(", ", values.keySet()));
        }
        return value;
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public double accuracy() {
        return get("accuracy");
    }

    public double f1() {
        return get("f1");
    }

    public double mcc() {
        return get("mcc");
    }

    public double loss() {
        return get("loss");
    }

    public double perplexity() {
        return get("perplexity");
    }

    public double mse() {
        return get("mse");
    }

    /** {@code {"count": n, <name>: value, ...}}: the shape {@code metrics.jsonl} and checkpoints have always used. */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("count", count);
        map.putAll(values);
        return map;
    }

    /**
     * The inverse of {@link #toMap()}, also for maps read back from JSON, where Jackson writes NaN and infinities as
     * the strings {@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"}.
     */
    public static Metrics fromMap(Map<String, ?> map) {
        Object count = map.get("count");
        if (!(count instanceof Number)) {
            throw new IllegalArgumentException("Saved metrics have no numeric 'count' field: " + map);
        }
        Map<String, Double> values = new LinkedHashMap<>();
        map.forEach((name, value) -> {
            if (!name.equals("count")) {
                values.put(name, value instanceof Number n ? n.doubleValue() : Double.parseDouble(value.toString()));
            }
        });
        return new Metrics(((Number) count).intValue(), values);
    }
}
