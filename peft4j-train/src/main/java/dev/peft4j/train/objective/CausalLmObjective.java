package dev.peft4j.train.objective;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.train.metrics.EvaluatedBatch;
import dev.peft4j.train.metrics.Evaluator;
import dev.peft4j.train.metrics.Evaluators;
import dev.peft4j.train.metrics.TokenOutputs;
import java.util.List;

/**
 * Token-level negative log-likelihood with a mask: the loss of a batch is the mean NLL over its unmasked tokens
 * (so every token weighs the same, however the tokens spread over the examples); evaluated by loss and perplexity
 * (exp of the mean token NLL over the pass, weighted by token count).
 */
public final class CausalLmObjective<E> implements Objective<E, TokenOutputs> {

    private final TokenPredictor<E> predictor;

    public CausalLmObjective(TokenPredictor<E> predictor) {
        this.predictor = predictor;
    }

    /** loss, perplexity. */
    public static List<Evaluator<? super TokenOutputs>> standardEvaluators() {
        return List.of(Evaluators.loss(), Evaluators.perplexity());
    }

    @Override
    public List<Evaluator<? super TokenOutputs>> evaluators() {
        return standardEvaluators();
    }

    @Override
    public PeftModel peftModel() {
        return predictor.peftModel();
    }

    @Override
    public NDArray trainingLoss(List<E> batch, NDManager manager) {
        TokenPredictor.TokenBatch tokens = predictor.predict(batch, manager, true);
        NDArray mask = mask(tokens);
        NDArray count = mask.sum();
        if (count.getFloat() == 0) {
            throw new IllegalArgumentException("A training batch of " + batch.size() + " examples has no unmasked "
                    + "token, so its mean token loss is undefined; check that the mask marks the tokens to predict "
                    + "with 1, or drop examples without any");
        }
        return maskedNllSum(tokens.logits(), tokens.targets(), mask).div(count);
    }

    @Override
    public EvaluatedBatch<TokenOutputs> evaluate(List<E> batch, NDManager manager) {
        TokenPredictor.TokenBatch tokens = predictor.predict(batch, manager, false);
        NDArray mask = mask(tokens);
        double nllSum = maskedNllSum(tokens.logits(), tokens.targets(), mask).getFloat();
        long count = Math.round(mask.sum().getFloat());
        return new EvaluatedBatch<>(nllSum, count, batch.size(), new TokenOutputs(nllSum, count));
    }

    /**
     * -log softmax(logits)[target] at every position, [batch, positions]: logits [batch, positions, vocabulary],
     * targets [batch, positions].
     */
    public static NDArray tokenNll(NDArray logits, NDArray targets) {
        Shape shape = logits.getShape();
        if (shape.dimension() != 3 || !targets.getShape().equals(shape.slice(0, 2))) {
            throw new IllegalArgumentException("Token loss expects logits [batch, positions, vocabulary] and targets "
                    + "[batch, positions], found logits " + shape + " and targets " + targets.getShape());
        }
        // a gather of the target's log-probability, not a one-hot product: [batch, positions, vocabulary] one-hots
        // cost a vocabulary-sized tensor per position (67 MB per step at 16 x 256 tokens and 4,096 words)
        NDArray logProbs = logits.logSoftmax(2);
        NDArray index = targets.toType(DataType.INT64, false).expandDims(2);
        return logProbs.gather(index, 2).squeeze(2).neg();
    }

    /** The NLL summed over the positions where {@code mask} is 1 (a scalar). */
    public static NDArray maskedNllSum(NDArray logits, NDArray targets, NDArray mask) {
        NDArray nll = tokenNll(logits, targets);
        if (!mask.getShape().equals(nll.getShape())) {
            throw new IllegalArgumentException("Token mask must be [batch, positions] like the targets "
                    + nll.getShape() + ", found " + mask.getShape());
        }
        return nll.mul(mask.toType(nll.getDataType(), false)).sum();
    }

    private static NDArray mask(TokenPredictor.TokenBatch tokens) {
        return tokens.mask().toType(tokens.logits().getDataType(), false);
    }
}
