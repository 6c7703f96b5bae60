package dev.peft4j.train.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.models.llama.LlamaModel;
import dev.peft4j.train.objective.TokenPredictor;
import java.util.List;
import java.util.Objects;

/**
 * Next-token predictions of a decoder for a batch of {@link TokenSequence}s: the batch is right-padded to its
 * longest sequence, the model reads positions {@code 0..n-2} and is scored on {@code 1..n-1} (logits at t predict
 * token t + 1); padding and prompt positions are masked out, so only response tokens count. Right padding keeps
 * every real token at its own position, and the causal mask means a real token never sees the padding after it.
 */
public final class LanguageModelPredictor implements TokenPredictor<TokenSequence> {

    private final LlamaModel model;
    private final PeftModel peft;
    private final int padId;

    /** @param padId written into padded positions (never scored, never attended to) */
    public LanguageModelPredictor(LlamaModel model, PeftModel peft, int padId) {
        this.model = Objects.requireNonNull(model, "model");
        this.peft = Objects.requireNonNull(peft, "peft");
        if (padId < 0 || padId >= model.config().vocabSize()) {
            throw new IllegalArgumentException("Pad id " + padId + " is outside the vocabulary [0, "
                    + model.config().vocabSize() + ")");
        }
        this.padId = padId;
    }

    @Override
    public TokenBatch predict(List<TokenSequence> batch, NDManager manager, boolean training) {
        int rows = batch.size();
        int width = 0;
        for (TokenSequence s : batch) {
            width = Math.max(width, s.ids().length - 1);
        }
        long[] inputs = new long[rows * width];
        long[] targets = new long[rows * width];
        float[] attention = new float[rows * width];
        float[] scored = new float[rows * width];
        for (int r = 0; r < rows; r++) {
            int[] ids = batch.get(r).ids();
            int firstScored = Math.max(1, batch.get(r).promptLength()); // index of the first token to predict
            for (int t = 0; t < width; t++) {
                int at = r * width + t;
                boolean real = t + 1 < ids.length;
                inputs[at] = real ? ids[t] : padId;
                targets[at] = real ? ids[t + 1] : padId;
                attention[at] = real ? 1f : 0f;
                scored[at] = real && t + 1 >= firstScored ? 1f : 0f;
            }
        }
        Shape shape = new Shape(rows, width);
        NDArray inputIds = manager.create(inputs, shape);
        NDArray mask = manager.create(attention, shape);
        NDArray logits = model.forward(inputIds, mask, training);
        return new TokenBatch(logits, manager.create(targets, shape), manager.create(scored, shape));
    }

    @Override
    public PeftModel peftModel() {
        return peft;
    }
}
