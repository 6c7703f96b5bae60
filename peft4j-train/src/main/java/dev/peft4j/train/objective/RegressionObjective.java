package dev.peft4j.train.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.train.metrics.EvaluatedBatch;
import dev.peft4j.train.metrics.Evaluator;
import dev.peft4j.train.metrics.Evaluators;
import dev.peft4j.train.metrics.RegressionOutputs;
import java.util.List;

/** Mean squared error of a {@link Regressor}'s predictions; evaluated by MSE and loss (which here are the same). */
public final class RegressionObjective<E> implements Objective<E, RegressionOutputs> {

    private final Regressor<E> regressor;

    public RegressionObjective(Regressor<E> regressor) {
        this.regressor = regressor;
    }

    /** mse, loss. */
    public static List<Evaluator<? super RegressionOutputs>> standardEvaluators() {
        return List.of(Evaluators.meanSquaredError(), Evaluators.loss());
    }

    @Override
    public List<Evaluator<? super RegressionOutputs>> evaluators() {
        return standardEvaluators();
    }

    @Override
    public PeftModel peftModel() {
        return regressor.peftModel();
    }

    @Override
    public NDArray trainingLoss(List<E> batch, NDManager manager) {
        NDArray targets = targets(batch, manager);
        return squaredErrors(regressor.predictions(batch, manager, true), targets).mean();
    }

    @Override
    public EvaluatedBatch<RegressionOutputs> evaluate(List<E> batch, NDManager manager) {
        NDArray targets = targets(batch, manager);
        double sum = squaredErrors(regressor.predictions(batch, manager, false), targets).sum().getFloat();
        long values = targets.getShape().size();
        return new EvaluatedBatch<>(sum, values, batch.size(), new RegressionOutputs(sum, values));
    }

    /** (predictions - targets)^2 element-wise; predictions [batch] are read as [batch, 1]. */
    public static NDArray squaredErrors(NDArray predictions, NDArray targets) {
        NDArray p = predictions.getShape().dimension() == 1 ? predictions.expandDims(1) : predictions;
        if (!p.getShape().equals(targets.getShape())) {
            throw new IllegalArgumentException("Regression predictions must be [batch, outputs] like the targets "
                    + targets.getShape() + ", found " + predictions.getShape()
                    + "; make the model output one value per target value");
        }
        return p.sub(targets).square();
    }

    /** The mean squared error (a scalar). */
    public static NDArray meanSquaredError(NDArray predictions, NDArray targets) {
        return squaredErrors(predictions, targets).mean();
    }

    private NDArray targets(List<E> batch, NDManager manager) {
        int outputs = regressor.target(batch.get(0)).length;
        float[] flat = new float[batch.size() * outputs];
        for (int i = 0; i < batch.size(); i++) {
            float[] target = regressor.target(batch.get(i));
            if (target.length != outputs) {
                throw new IllegalArgumentException("Example " + i + " of the batch has " + target.length
                        + " target values, the first has " + outputs + "; every example needs the same number");
            }
            System.arraycopy(target, 0, flat, i * outputs, outputs);
        }
        return manager.create(flat, new Shape(batch.size(), outputs));
    }
}
