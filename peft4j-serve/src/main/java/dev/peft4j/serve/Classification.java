package dev.peft4j.serve;

import dev.peft4j.core.adapter.AdapterSelection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Turns the model's raw outputs into what the API returns: per row, softmax probabilities named by that row's
 * adapter's labels and the most probable label; or a row's embedding. Rows of different adapters share one
 * forward ({@link ServedEncoder}, {@code AdapterSelection.perRow}).
 */
public final class Classification {

    /** A row to classify: the adapter's key ({@code tenant/name}), its label names, the text. */
    public record Row(String adapter, List<String> labels, String text) {
    }

    /** One classified text. */
    public record Result(String label, Map<String, Double> probabilities) {
    }

    private final ServedEncoder model;
    private final UnaryOperator<String> resolve;

    /**
     * @param resolve an adapter key to the name it is loaded under now (null: gone); applied at forward time, so a
     *     request queued before a replacement runs on the replacement instead of failing
     */
    public Classification(ServedEncoder model, UnaryOperator<String> resolve) {
        this.model = model;
        this.resolve = resolve;
    }

    /** One forward over all rows; a row whose adapter is gone gets null. */
    public List<Result> classify(List<Row> rows) {
        float[][] logits = model.logits(rows.stream().map(r -> new ServedEncoder.Row(r.adapter(), r.text())).toList(),
                resolve);
        List<Result> results = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            results.add(logits[i] == null ? null : result(logits[i], rows.get(i).labels()));
        }
        return results;
    }

    /**
     * Embeddings: one forward over all rows (each {@link ServedEncoder.Row} names an adapter key or
     * {@link AdapterSelection#BASE}); a row whose adapter is gone gets null.
     */
    public List<float[]> embed(List<ServedEncoder.Row> rows) {
        return Arrays.asList(model.embeddings(rows, resolve));
    }

    /** Softmax in double precision (max subtracted first), labels in head order. */
    static Result result(float[] logits, List<String> labels) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double[] exp = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            exp[i] = Math.exp(logits[i] - max);
            sum += exp[i];
        }
        Map<String, Double> probabilities = new LinkedHashMap<>();
        int best = 0;
        for (int i = 0; i < logits.length; i++) {
            probabilities.put(labels.get(i), exp[i] / sum);
            if (exp[i] > exp[best]) {
                best = i;
            }
        }
        return new Result(labels.get(best), probabilities);
    }
}
