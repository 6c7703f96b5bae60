package dev.peft4j.train.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The evaluators peft4j ships, and lookups over a list of evaluators. */
public final class Evaluators {

    private Evaluators() {
    }

    /** {@code accuracy}: the fraction of examples whose arg-max is the label. */
    public static Evaluator<ClassificationOutputs> accuracy() {
        return new ConfusionMatrixEvaluator(Metric.higherIsBetter("accuracy"), ConfusionMatrix::accuracy);
    }

    /** {@code f1}: the positive class's F1 for two classes, the macro average otherwise. */
    public static Evaluator<ClassificationOutputs> f1() {
        return new ConfusionMatrixEvaluator(Metric.higherIsBetter("f1"), ConfusionMatrix::f1);
    }

    /** {@code mcc}: Matthews correlation (multi-class form). */
    public static Evaluator<ClassificationOutputs> mcc() {
        return new ConfusionMatrixEvaluator(Metric.higherIsBetter("mcc"), ConfusionMatrix::mcc);
    }

    /** {@code loss}: the objective's loss over the pass, weighted by its loss units (examples or tokens). */
    public static Evaluator<Object> loss() {
        return new MeanOfSumsEvaluator<>(Metric.lowerIsBetter("loss"), EvaluatedBatch::lossSum,
                EvaluatedBatch::lossUnits, mean -> mean);
    }

    /** {@code perplexity}: exp of the mean token negative log-likelihood, weighted by token count. */
    public static Evaluator<TokenOutputs> perplexity() {
        return new MeanOfSumsEvaluator<>(Metric.lowerIsBetter("perplexity"), b -> b.outputs().nllSum(),
                b -> b.outputs().tokens(), Math::exp);
    }

    /** {@code mse}: the mean squared error over every predicted value. */
    public static Evaluator<RegressionOutputs> meanSquaredError() {
        return new MeanOfSumsEvaluator<>(Metric.lowerIsBetter("mse"), b -> b.outputs().squaredErrorSum(),
                b -> b.outputs().values(), mean -> mean);
    }

    /** Every metric of {@code evaluators}, in order; two evaluators reporting the same name are an error. */
    public static List<Metric> metrics(List<? extends Evaluator<?>> evaluators) {
        if (evaluators.isEmpty()) {
            throw new IllegalArgumentException("No evaluators: the trainer needs at least one to pick the best epoch");
        }
        Map<String, Metric> byName = new LinkedHashMap<>();
        for (Evaluator<?> evaluator : evaluators) {
            for (Metric metric : evaluator.metrics()) {
                if (byName.putIfAbsent(metric.name(), metric) != null) {
                    throw new IllegalArgumentException("Two evaluators report a metric named '" + metric.name()
                            + "'; give each metric one evaluator");
                }
            }
        }
        return new ArrayList<>(byName.values());
    }

    /**
     * The metric called {@code name} among those {@code evaluators} report, or an error listing them: the check that
     * a selection metric exists, made before any training.
     */
    public static Metric find(String name, List<? extends Evaluator<?>> evaluators) {
        List<Metric> metrics = metrics(evaluators);
        for (Metric metric : metrics) {
            if (metric.name().equals(name)) {
                return metric;
            }
        }
        throw new IllegalArgumentException("Unknown metric '" + name + "' to pick the best epoch; this task reports "
                + String.join(", ", metrics.stream().map(m -> m.name() + " (" + m.direction().describe() + ")")
                        .toList()) + ": choose one of them (--metric NAME)");
    }
}
