package dev.peft4j.apps.instruct;

import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.train.instruct.PromptStyle;
import dev.peft4j.train.loop.TrainerConfig;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One instruction-tuning run of a decoder.
 *
 * @param model the shipped decoder's id ({@code llama-en-4m}) or a Llama directory
 * @param data where the instructions come from
 * @param method the method, or null for the row without fine-tuning (the base model, scored the same way)
 * @param trainer epochs, learning rate, seed, output folder; its selection metric is the validation responses'
 *     perplexity
 * @param style the prompt template
 * @param maxLength longest training sequence in tokens (prompt + response + EOS)
 * @param maxNewTokens longest generated response when scoring
 * @param maxTrainPerKind cap on the built-in data's training examples per kind (0: all)
 * @param maxEvalPerKind cap on its validation and test examples per kind (0: all)
 * @param adapterDir where the trained adapter is saved (null: not saved)
 */
public record InstructionTuningRequest(String model, InstructionSource data, MethodSpec method, TrainerConfig trainer,
        PromptStyle style, int maxLength, int maxNewTokens, int maxTrainPerKind, int maxEvalPerKind, Path adapterDir) {

    public InstructionTuningRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(trainer, "trainer");
        Objects.requireNonNull(style, "style");
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("--max-new-tokens must be at least 1, found " + maxNewTokens);
        }
        if (maxTrainPerKind < 0 || maxEvalPerKind < 0) {
            throw new IllegalArgumentException("Example caps must be 0 (all) or more, found train " + maxTrainPerKind
                    + ", eval " + maxEvalPerKind);
        }
    }

    /** Whether this is the row without fine-tuning. */
    public boolean baseOnly() {
        return method == null;
    }
}
