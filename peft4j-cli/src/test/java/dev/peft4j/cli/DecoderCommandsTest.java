package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.peft4j.apps.lm.BpeTrainer;
import dev.peft4j.apps.lm.TokenizerJson;
import dev.peft4j.models.llama.LlamaConfig;
import dev.peft4j.models.llama.LlamaModel;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code generate} and {@code inspect} on a Llama directory as a user has one (a tiny random model, a real BPE). */
class DecoderCommandsTest {

    @TempDir
    static Path dir;

    @BeforeAll
    static void writeModel() throws Exception {
        BpeTrainer.Vocabulary vocabulary = BpeTrainer.train(List.of("Call me Ishmael. Some years ago, never mind "
                + "how long precisely, having little or no money in my purse, I thought I would sail about."), 300);
        TokenizerJson.write(dir, vocabulary, 64);
        LlamaConfig config = LlamaConfig.tiny().withVocabulary(vocabulary.size(), BpeTrainer.BOS_ID,
                List.of(BpeTrainer.EOS_ID));
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.random(config, 1, manager)) {
            model.save(dir, "F32");
        }
    }

    private static String[] run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void generateStreamsAContinuationOfThePrompt() {
        String[] result = run("generate", "--model", dir.toString(), "-p", "Call me", "--max-new-tokens", "8",
                "--no-stop-at-eos");
        assertEquals("0", result[0], result[2]);
        assertTrue(result[1].startsWith("Call me") && result[1].strip().length() > "Call me".length(), result[1]);
    }

    @Test
    void severalPromptsPrintOneLineEach() {
        String[] result = run("generate", "--model", dir.toString(), "-p", "Call me", "-p", "I thought",
                "--max-new-tokens", "4", "--temperature", "0.9", "--top-p", "0.9", "--no-stop-at-eos");
        assertEquals("0", result[0], result[2]);
        assertTrue(result[1].contains("[0] Call me") && result[1].contains("[1] I thought"), result[1]);
    }

    @Test
    void inspectListsTheDecodersSlotsAndSkipsTheHead() {
        String[] result = run("inspect", "--model", dir.toString(), "--targets", "q_proj,v_proj");
        assertEquals("0", result[0], result[2]);
        assertTrue(result[1].contains("LlamaForCausalLM: 2 layers"), result[1]);
        assertTrue(result[1].contains("* model.layers.1.self_attn.v_proj"), result[1]);
        assertTrue(result[1].contains("  lm_head") && result[1].contains("(head)"), result[1]);
        assertTrue(result[1].contains("4 of 15 linear layers targeted"), result[1]);
    }

    @Test
    void aRequestRefusedBeforeGeneratingPrintsOnlyItsError() {
        String[] result = run("generate", "--model", dir.toString(), "-p", "Call me", "--max-new-tokens", "100");
        assertEquals("1", result[0]);
        assertEquals("", result[1], "nothing on stdout, not even the prompt");
        assertTrue(result[2].contains("exceeds the model's 64 positions"), result[2]);
    }

    @Test
    void aMissingModelDirectoryIsOneClearLine() {
        String[] result = run("generate", "--model", dir.resolve("nope").toString(), "-p", "x");
        assertEquals("1", result[0]);
        assertTrue(result[2].contains("No model directory") && result[2].contains("tokenizer.json"), result[2]);
    }
}
