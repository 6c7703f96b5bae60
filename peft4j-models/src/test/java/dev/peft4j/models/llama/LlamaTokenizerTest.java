package dev.peft4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tiny byte-level BPE tokenizer.json files written here as JSON text: a Llama-2 style one (specials at ids 0-2,
 * BOS from a TemplateProcessing) and a Llama-3 style one (specials after the vocabulary, no post-processor).
 */
class LlamaTokenizerTest {

    private static final List<String> MERGES = List.of("Ġ w", "h e", "l l", "he ll", "hell o");

    @TempDir
    Path dir;

    /** GPT-2's byte-to-unicode alphabet, byte order. */
    private static List<String> byteSymbols() {
        List<String> out = new ArrayList<>();
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out.add(String.valueOf((char) (printable ? b : next++)));
        }
        return out;
    }

    /** A tokenizer.json text with the given specials at {@code specialBase}, the byte symbols and MERGES after base. */
    private static String tokenizerJson(List<String> specials, int specialBase, int byteBase, boolean template) {
        List<String> vocab = new ArrayList<>();
        List<Integer> vocabIds = new ArrayList<>();
        List<String> symbols = byteSymbols();
        for (int b = 0; b < 256; b++) {
            vocab.add(symbols.get(b));
            vocabIds.add(byteBase + b);
        }
        List<String> merged = List.of("Ġw", "he", "ll", "hell", "hello");
        for (int m = 0; m < merged.size(); m++) {
            vocab.add(merged.get(m));
            vocabIds.add(byteBase + 256 + m);
        }
        StringBuilder added = new StringBuilder();
        for (int i = 0; i < specials.size(); i++) {
            vocab.add(specials.get(i));
            vocabIds.add(specialBase + i);
            added.append(i == 0 ? "" : ",").append("{\"id\":").append(specialBase + i).append(",\"content\":\"")
                    .append(specials.get(i)).append("\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
                            + "\"normalized\":false,\"special\":true}");
        }
        StringBuilder vocabJson = new StringBuilder();
        for (int i = 0; i < vocab.size(); i++) {
            String token = vocab.get(i).replace("\\", "\\\\").replace("\"", "\\\"");
            vocabJson.append(i == 0 ? "" : ",").append('"').append(token).append("\":").append(vocabIds.get(i));
        }
        StringBuilder merges = new StringBuilder();
        for (int i = 0; i < MERGES.size(); i++) {
            merges.append(i == 0 ? "" : ",").append('"').append(MERGES.get(i)).append('"');
        }
        String bos = specials.get(0);
        String postProcessor = !template ? "null" : "{\"type\":\"TemplateProcessing\","
                + "\"single\":[{\"SpecialToken\":{\"id\":\"" + bos + "\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\","
                + "\"type_id\":0}}],\"pair\":[{\"SpecialToken\":{\"id\":\"" + bos + "\",\"type_id\":0}},{\"Sequence\":"
                + "{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"" + bos + "\",\"type_id\":1}},{\"Sequence\":"
                + "{\"id\":\"B\",\"type_id\":1}}],\"special_tokens\":{\"" + bos + "\":{\"id\":\"" + bos + "\",\"ids\":["
                + specialBase + "],\"tokens\":[\"" + bos + "\"]}}}";
        String byteLevel = "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true}";
        return "{\"version\":\"1.0\",\"truncation\":{\"direction\":\"Right\",\"max_length\":4,\"strategy\":"
                + "\"LongestFirst\",\"stride\":0},\"padding\":null,\"added_tokens\":[" + added + "],\"normalizer\":null,"
                + "\"pre_tokenizer\":" + byteLevel + ",\"post_processor\":" + postProcessor + ",\"decoder\":" + byteLevel
                + ",\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,\"continuing_subword_prefix\":null,"
                + "\"end_of_word_suffix\":null,\"fuse_unk\":false,\"byte_fallback\":false,\"vocab\":{" + vocabJson
                + "},\"merges\":[" + merges + "]}}";
    }

    private Path llama2Style() throws IOException {
        Path d = Files.createDirectories(dir.resolve("llama2"));
        Files.writeString(d.resolve("tokenizer.json"), tokenizerJson(List.of("<s>", "</s>", "<unk>"), 0, 3, true));
        return d;
    }

    private Path llama3Style() throws IOException {
        Path d = Files.createDirectories(dir.resolve("llama3"));
        Files.writeString(d.resolve("tokenizer.json"), tokenizerJson(
                List.of("<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|eot_id|>"), 261, 0,
                false));
        return d;
    }

    @Test
    void llama2StyleIdsAndRoundTrip() throws IOException {
        try (LlamaTokenizer tokenizer = LlamaTokenizer.load(llama2Style())) {
            assertEquals(0, tokenizer.bosId());
            assertEquals(1, tokenizer.eosId());
            assertEquals(3 + 256 + 5, tokenizer.vocabSize());
            // "hello" -> h e l l o -> he l l o -> he ll o -> hell o -> hello (3 + 256 + 4);
            // " world" -> Ġw o r l d with bytes at 3 + b
            int[] expected = {3 + 256 + 4, 3 + 256, 3 + 'o', 3 + 'r', 3 + 'l', 3 + 'd'};
            assertArrayEquals(expected, tokenizer.encode("hello world", false));
            int[] withBos = tokenizer.encode("hello world", true);
            assertEquals(0, withBos[0]);
            assertEquals(expected.length + 1, withBos.length, "BOS once, not again from the post-processor");
            assertEquals("hello world", tokenizer.decode(withBos));
            int[] withEos = Arrays.copyOf(withBos, withBos.length + 1);
            withEos[withBos.length] = tokenizer.eosId();
            assertEquals("hello world", tokenizer.decode(withEos), "special tokens are skipped");
        }
    }

    @Test
    void noTruncationEvenWhenTheFileAsksForIt() throws IOException {
        try (LlamaTokenizer tokenizer = LlamaTokenizer.load(llama2Style())) {
            String text = "hello world, said the whale — café 🐳\n\n ".repeat(300);
            int[] ids = tokenizer.encode(text, true);
            assertTrue(ids.length > 5000, "tokens " + ids.length);
            assertEquals(text, tokenizer.decode(ids), "exact round trip, spaces before punctuation kept");
        }
    }

    @Test
    void llama3StyleFindsItsSpecialTokens() throws IOException {
        Path d = llama3Style();
        try (LlamaTokenizer tokenizer = LlamaTokenizer.load(d)) {
            assertEquals(261, tokenizer.bosId());
            assertEquals(262, tokenizer.eosId(), "<|end_of_text|> without a tokenizer_config.json");
            assertEquals(265, tokenizer.vocabSize());
            assertArrayEquals(new int[] {261, 256 + 4}, tokenizer.encode("hello", true));
            assertArrayEquals(new int[] {256 + 4}, tokenizer.encode("hello", false), "no BOS from the file");
        }
        // an instruct model's config names <|eot_id|>, as an AddedToken object for BOS
        Files.writeString(d.resolve("tokenizer_config.json"), "{\"bos_token\":{\"__type\":\"AddedToken\","
                + "\"content\":\"<|begin_of_text|>\"},\"eos_token\":\"<|eot_id|>\",\"model_max_length\":8,"
                + "\"clean_up_tokenization_spaces\":true}");
        try (LlamaTokenizer tokenizer = LlamaTokenizer.load(d)) {
            assertEquals(261, tokenizer.bosId());
            assertEquals(264, tokenizer.eosId());
            String text = "hello , world ! ".repeat(10);
            assertEquals(text, tokenizer.decode(tokenizer.encode(text, true)), "no clean-up, no truncation to 8");
        }
    }

    @Test
    void missingFilesAndTokensAreNamed() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        IOException missing = assertThrows(IOException.class, () -> LlamaTokenizer.load(empty));
        assertTrue(missing.getMessage().startsWith("Expected the tokenizer file " + empty.resolve("tokenizer.json")
                + ", it does not exist"), missing.getMessage());

        Path odd = Files.createDirectories(dir.resolve("odd"));
        Files.writeString(odd.resolve("tokenizer.json"), tokenizerJson(List.of("[CLS]", "[SEP]"), 0, 2, false));
        IOException noBos = assertThrows(IOException.class, () -> LlamaTokenizer.load(odd));
        assertTrue(noBos.getMessage().startsWith("Cannot tell the bos_token of "), noBos.getMessage());
        assertTrue(noBos.getMessage().contains("[<s>, <|begin_of_text|>]"), noBos.getMessage());

        Path llama2 = llama2Style();
        Files.writeString(llama2.resolve("tokenizer_config.json"), "{\"bos_token\":\"<bos>\",\"eos_token\":\"</s>\"}");
        IOException wrong = assertThrows(IOException.class, () -> LlamaTokenizer.load(llama2));
        assertTrue(wrong.getMessage().contains("names bos_token \"<bos>\", which is not a token of"),
                wrong.getMessage());
    }

    @Test
    void decodeRejectsIdsOutsideTheVocabulary() throws IOException {
        try (LlamaTokenizer tokenizer = LlamaTokenizer.load(llama2Style())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> tokenizer.decode(new int[] {5, 264}));
            assertEquals("Token id 264 at position 1 is outside the vocabulary [0, 264)", e.getMessage());
        }
    }
}
