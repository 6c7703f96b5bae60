package dev.peft4j.apps.instruct;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.models.llama.LlamaTokenizer;
import dev.peft4j.models.llama.PretrainedLlama;
import dev.peft4j.train.instruct.InstructionExample;
import dev.peft4j.train.instruct.InstructionKind;
import dev.peft4j.train.instruct.PromptStyle;
import dev.peft4j.train.lm.TokenSequence;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Instruction examples as training sequences with the shipped decoder's real tokenizer. */
class InstructionTokensTest {

    @TempDir
    static Path dir;
    private static LlamaTokenizer tokenizer;

    private static final InstructionExample SYNONYM = new InstructionExample("Give a synonym of the word.", "big",
            "large", InstructionKind.SYNONYM, "big", List.of("large"));

    @BeforeAll
    static void load() throws Exception {
        tokenizer = LlamaTokenizer.load(PretrainedLlama.copyTo(dir));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void aSequenceIsBosPromptResponseEosAndOnlyTheResponseAndEosCount() {
        InstructionTokens tokens = new InstructionTokens(tokenizer, PromptStyle.ALPACA_SHORT, 96);
        TokenSequence s = tokens.sequence(SYNONYM);
        int[] prompt = tokenizer.encode(tokens.prompt(SYNONYM), true);
        int[] response = tokenizer.encode("large", false);
        assertEquals(prompt.length, s.promptLength());
        assertArrayEquals(prompt, Arrays.copyOf(s.ids(), prompt.length));
        assertArrayEquals(response, Arrays.copyOfRange(s.ids(), prompt.length, prompt.length + response.length));
        assertEquals(tokenizer.eosId(), s.ids()[s.ids().length - 1]);
        assertEquals(prompt.length + response.length + 1, s.ids().length);
        assertEquals(response.length + 1, s.predictedTokens());
        assertTrue(tokens.prompt(SYNONYM).endsWith("### Response:\n"), tokens.prompt(SYNONYM));
    }

    @Test
    void aLongResponseLosesItsEndNotItsPrompt() {
        String gloss = "a large natural stream of water (larger than a creek) that flows towards an ocean, a lake or "
                + "another river";
        InstructionExample longAnswer = new InstructionExample("Define the word.", "river", gloss,
                InstructionKind.DEFINE, "river", List.of(gloss));
        int promptLength = tokenizer.encode(AlpacaPromptLength.of(longAnswer), true).length;
        InstructionTokens tokens = new InstructionTokens(tokenizer, PromptStyle.ALPACA_SHORT, promptLength + 3);
        TokenSequence s = tokens.sequence(longAnswer);
        assertEquals(promptLength + 3, s.ids().length);
        assertEquals(promptLength, s.promptLength());
        assertTrue(s.ids()[s.ids().length - 1] != tokenizer.eosId(), "a cut response has no EOS");
    }

    @Test
    void aPromptThatLeavesNoRoomIsRefusedNamingTheLimit() {
        InstructionTokens tokens = new InstructionTokens(tokenizer, PromptStyle.ALPACA, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tokens.sequence(SYNONYM));
        assertTrue(e.getMessage().contains("--max-length 8") && e.getMessage().contains("Give a synonym"),
                e.getMessage());
    }

    /** The short style's prompt text, written out here so the test does not only repeat the code under test. */
    private static final class AlpacaPromptLength {
        static String of(InstructionExample e) {
            return "### Instruction:\n" + e.instruction() + "\n\n### Input:\n" + e.input() + "\n\n### Response:\n";
        }
    }
}
