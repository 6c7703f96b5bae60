package dev.peft4j.train.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AlpacaPromptTest {

    private static final InstructionExample WITH_INPUT = InstructionExample.custom("Summarize the text.",
            "The cat sat on the mat.", "A cat sat.");
    private static final InstructionExample NO_INPUT = InstructionExample.custom("Define the noun \"puppy\".", "",
            "a young dog");

    @Test
    void alpacaTemplatesWordForWord() {
        // the texts of PROMPT_DICT in Stanford Alpaca's train.py, plus the newline its README shows after the header
        assertEquals("Below is an instruction that describes a task, paired with an input that provides further "
                + "context. Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\nSummarize the text.\n\n### Input:\nThe cat sat on the mat.\n\n### Response:\n",
                AlpacaPrompt.prompt(PromptStyle.ALPACA, WITH_INPUT));
        assertEquals("Below is an instruction that describes a task. Write a response that appropriately completes "
                + "the request.\n\n### Instruction:\nDefine the noun \"puppy\".\n\n### Response:\n",
                AlpacaPrompt.prompt(PromptStyle.ALPACA, NO_INPUT));
    }

    @Test
    void shortStyleKeepsOnlyTheHeaders() {
        assertEquals("### Instruction:\nSummarize the text.\n\n### Input:\nThe cat sat on the mat.\n\n"
                + "### Response:\n", AlpacaPrompt.prompt(PromptStyle.ALPACA_SHORT, WITH_INPUT));
        assertEquals("### Instruction:\nDefine the noun \"puppy\".\n\n### Response:\n",
                AlpacaPrompt.prompt(PromptStyle.ALPACA_SHORT, NO_INPUT));
    }

    @Test
    void trainingTextIsPromptThenOutput() {
        assertEquals("### Instruction:\nDefine the noun \"puppy\".\n\n### Response:\na young dog",
                AlpacaPrompt.trainingText(PromptStyle.ALPACA_SHORT, NO_INPUT));
        assertEquals(AlpacaPrompt.prompt(PromptStyle.ALPACA, WITH_INPUT) + "A cat sat.",
                AlpacaPrompt.trainingText(PromptStyle.ALPACA, WITH_INPUT));
    }

    @Test
    void onlyTheEmptyStringMeansNoInput() {
        // Alpaca tests input != "", so a blank input still gets its section
        assertEquals("### Instruction:\nEcho.\n\n### Input:\n \n\n### Response:\n",
                AlpacaPrompt.prompt(PromptStyle.ALPACA_SHORT, "Echo.", " "));
    }
}
