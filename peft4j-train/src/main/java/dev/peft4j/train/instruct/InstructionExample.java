package dev.peft4j.train.instruct;

import java.util.List;

/**
 * One instruction-following example in Stanford Alpaca's shape, plus what is needed to score a generated response.
 *
 * @param instruction the task, e.g. {@code Define the noun "bank".}; never blank
 * @param input optional context for the task; {@code ""} when there is none (Alpaca's prompt then has no
 *     {@code ### Input:} part)
 * @param output the reference response the model is trained on; never blank
 * @param kind what is asked, which decides the scorer
 * @param word the word the example is about, as WordNet's index spells it (lower case, spaces between the words of
 *     a collocation); {@code ""} for {@link InstructionKind#CUSTOM} examples
 * @param answers every acceptable answer for exact-match kinds ({@code output} first); for
 *     {@link InstructionKind#DEFINE} and {@link InstructionKind#CUSTOM} just {@code [output]}
 */
public record InstructionExample(String instruction, String input, String output, InstructionKind kind, String word,
        List<String> answers) {

    public InstructionExample {
        if (instruction == null || instruction.isBlank()) {
            throw new IllegalArgumentException("An instruction example needs a non-blank instruction, got "
                    + (instruction == null ? "null" : "'" + instruction + "'"));
        }
        if (output == null || output.isBlank()) {
            throw new IllegalArgumentException("The instruction '" + instruction + "' needs a non-blank output (the "
                    + "reference response), got " + (output == null ? "null" : "'" + output + "'"));
        }
        if (input == null || kind == null || word == null || answers == null) {
            throw new IllegalArgumentException("input, kind, word and answers must not be null (use \"\" for no input "
                    + "or word), got input=" + input + ", kind=" + kind + ", word=" + word + ", answers=" + answers);
        }
        answers = List.copyOf(answers);
        if (answers.isEmpty() || !answers.get(0).equals(output)) {
            throw new IllegalArgumentException("answers must start with the output '" + output + "', got " + answers);
        }
        if (!kind.exactMatch() && answers.size() != 1) {
            throw new IllegalArgumentException("A " + kind.id() + " example has one reference, its output; got "
                    + answers.size() + " answers " + answers);
        }
    }

    /** A user's own example: kind {@link InstructionKind#CUSTOM}, no word, the output as the one answer. */
    public static InstructionExample custom(String instruction, String input, String output) {
        return new InstructionExample(instruction, input, output, InstructionKind.CUSTOM, "", List.of(output));
    }

    /** True when the prompt carries an {@code ### Input:} part. */
    public boolean hasInput() {
        return !input.isEmpty();
    }
}
