package dev.peft4j.train.instruct;

/**
 * Stanford Alpaca's prompt templates (the {@code PROMPT_DICT} of its {@code train.py}, shown in its README): a
 * preamble, {@code ### Instruction:}, {@code ### Input:} when the example has an input, and {@code ### Response:}.
 * The prompt is what the model is given; the training text is the prompt followed by the reference output, and the
 * caller appends the tokenizer's end-of-sequence token, as Alpaca does. Train the loss on the output tokens only
 * (Alpaca masks the prompt with {@code IGNORE_INDEX}).
 *
 * <p>The prompt ends with {@code "### Response:\n"}, as the README shows it and as Alpaca-LoRA trains; Alpaca's
 * {@code train.py} itself stops at {@code "### Response:"} and appends the output directly, so the newline here is
 * the one deliberate difference from that file.
 *
 * <p>{@link PromptStyle#ALPACA_SHORT} drops the preamble: 107 or 159 characters of every prompt that a 512-token
 * model pays for in context and that tell it nothing the headers do not.
 */
public final class AlpacaPrompt {

    /** Alpaca's preamble for examples with an input. */
    public static final String PREAMBLE_WITH_INPUT = "Below is an instruction that describes a task, paired with an "
            + "input that provides further context. Write a response that appropriately completes the request.\n\n";
    /** Alpaca's preamble for examples without an input. */
    public static final String PREAMBLE_NO_INPUT = "Below is an instruction that describes a task. Write a response "
            + "that appropriately completes the request.\n\n";
    /** The last line of every prompt; the response starts right after it. */
    public static final String RESPONSE_HEADER = "### Response:\n";

    private AlpacaPrompt() {
    }

    /** The prompt for {@code example}: everything the model sees before it writes the response. */
    public static String prompt(PromptStyle style, InstructionExample example) {
        return prompt(style, example.instruction(), example.input());
    }

    /**
     * The prompt for an instruction and an optional input ({@code ""} for none; as in Alpaca, only the empty string
     * counts as no input).
     */
    public static String prompt(PromptStyle style, String instruction, String input) {
        if (style == null || instruction == null || input == null) {
            throw new IllegalArgumentException("style, instruction and input must not be null (use \"\" for no "
                    + "input), got style=" + style + ", instruction=" + instruction + ", input=" + input);
        }
        boolean withInput = !input.isEmpty();
        StringBuilder prompt = new StringBuilder();
        if (style == PromptStyle.ALPACA) {
            prompt.append(withInput ? PREAMBLE_WITH_INPUT : PREAMBLE_NO_INPUT);
        }
        prompt.append("### Instruction:\n").append(instruction).append("\n\n");
        if (withInput) {
            prompt.append("### Input:\n").append(input).append("\n\n");
        }
        return prompt.append(RESPONSE_HEADER).toString();
    }

    /** The prompt followed by the reference output, without an end-of-sequence token (the caller adds it). */
    public static String trainingText(PromptStyle style, InstructionExample example) {
        return prompt(style, example) + example.output();
    }
}
