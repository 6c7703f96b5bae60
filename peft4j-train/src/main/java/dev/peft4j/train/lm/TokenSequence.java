package dev.peft4j.train.lm;

import java.util.Objects;

/**
 * One training example of a causal language model: token ids (BOS first where the model uses one) and how many of
 * them are the prompt. The loss counts only the predictions of tokens past the prompt (the response, in
 * instruction tuning); {@code promptLength} 0 counts every token after the first (pretraining).
 */
public record TokenSequence(int[] ids, int promptLength) {

    public TokenSequence {
        Objects.requireNonNull(ids, "ids");
        if (ids.length < 2) {
            throw new IllegalArgumentException("A training sequence needs at least 2 tokens (one to read, one to "
                    + "predict), found " + ids.length);
        }
        if (promptLength < 0 || promptLength >= ids.length) {
            throw new IllegalArgumentException("The prompt must leave at least one token to predict: prompt length "
                    + promptLength + " of a " + ids.length + "-token sequence; expected 0.." + (ids.length - 1));
        }
    }

    /** A sequence whose every next token counts (language-model pretraining). */
    public static TokenSequence unmasked(int[] ids) {
        return new TokenSequence(ids, 0);
    }

    /** Tokens whose prediction counts: positions {@code max(1, promptLength)..length-1}. */
    public int predictedTokens() {
        return ids.length - Math.max(1, promptLength);
    }
}
