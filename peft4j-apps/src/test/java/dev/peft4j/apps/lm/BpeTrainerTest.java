package dev.peft4j.apps.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {

    /** A few sentences of Moby-Dick (public domain), enough for a few hundred merges. */
    private static final String TEXT = """
            Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse, \
            and nothing particular to interest me on shore, I thought I would sail about a little and see the \
            watery part of the world. It is a way I have of driving off the spleen and regulating the circulation.

            There now is your insular city of the Manhattoes, belted round by wharves as Indian isles by coral \
            reefs—commerce surrounds it with her surf. Right and left, the streets take you waterward. The whale, \
            the whale! The great whale swam by the ship, and the whale's spout rose over the water.
            """;

    private static final List<String> TEXTS = List.of(TEXT, TEXT.replace("whale", "Whale"), TEXT.toUpperCase());

    @TempDir
    Path dir;

    @Test
    void byteAlphabetIsGpt2s() {
        char[] table = BpeTrainer.byteToUnicode();
        assertEquals('\u0120', table[' ']); // Ġ
        assertEquals('\u010A', table['\n']); // Ċ
        assertEquals('A', table['A']);
        assertEquals('\u00E9', table[0xE9]);
        assertEquals('\u0143', table[0xAD]); // soft hyphen byte, not printable
        assertEquals(256, new String(table).chars().distinct().count());
        assertEquals("Ġcaf\u00C3\u00A9", BpeTrainer.toByteLevel(" café"));
    }

    @Test
    void preTokenizerSplitsLikeGpt2() {
        assertEquals(List.of("Hello", " world", "'s", " ", " end", "\n", " 42", "!!", " —", "x"),
                BpeTrainer.preTokenize("Hello world's  end\n 42!! —x"));
    }

    @Test
    void handCheckedMergeOrder() {
        // words: "ab" x1, " ab" x2, " abc" x1 -> pairs (a,b) 4, (Ġ,a) 3, (b,c) 1
        BpeTrainer.Vocabulary v = BpeTrainer.train(List.of("ab ab ab abc"), 1000);
        assertEquals(List.of(new BpeTrainer.Merge("a", "b"), new BpeTrainer.Merge("Ġ", "ab"),
                new BpeTrainer.Merge("Ġab", "c")), v.merges());
        assertEquals(BpeTrainer.MIN_VOCAB_SIZE + 3, v.size(), "ran out of pairs before 1000");
        assertEquals(List.of("ab", "Ġab", "Ġabc"), v.tokens().subList(BpeTrainer.MIN_VOCAB_SIZE, v.size()));
        assertEquals(4, v.words());
        assertEquals(3, v.distinctWords());
    }

    @Test
    void tiesGoToTheSmallestBytes() {
        // words "xy" and " yx": three pairs of count 1; space (0x20) sorts first, then " y" before "x"
        BpeTrainer.Vocabulary v = BpeTrainer.train(List.of("xy yx"), 1000);
        assertEquals(List.of("Ġ y", "Ġy x", "x y"), v.merges().stream().map(BpeTrainer.Merge::joined).toList());
    }

    @Test
    void overlappingPairsCountAndMergeLeftToRight() {
        // "aaaa" x1: (a,a) occurs 3 times; merging gives "aa aa", then (aa,aa)
        BpeTrainer.Vocabulary v = BpeTrainer.train(List.of("aaaa"), 1000);
        assertEquals(List.of("a a", "aa aa"), v.merges().stream().map(BpeTrainer.Merge::joined).toList());
    }

    @Test
    void idsAreSpecialsThenBytesThenMerges() {
        BpeTrainer.Vocabulary v = BpeTrainer.train(TEXTS, 300);
        assertEquals(300, v.size());
        assertEquals(List.of("<unk>", "<s>", "</s>"), v.tokens().subList(0, 3));
        assertEquals("!", v.tokens().get(BpeTrainer.FIRST_BYTE_ID + '!'));
        assertEquals("Ġ", v.tokens().get(BpeTrainer.FIRST_BYTE_ID + ' '));
        assertEquals(300 - BpeTrainer.MIN_VOCAB_SIZE, v.merges().size(), "no duplicate merge on this text");
        for (int i = 0; i < v.merges().size(); i++) {
            BpeTrainer.Merge m = v.merges().get(i);
            assertEquals(m.left() + m.right(), v.tokens().get(BpeTrainer.MIN_VOCAB_SIZE + i));
        }
        assertThrows(IllegalArgumentException.class, () -> BpeTrainer.train(TEXTS, 258));
    }

    @Test
    void deterministicDownToTheBytes() throws IOException {
        BpeTrainer.Vocabulary a = BpeTrainer.train(TEXTS, 400);
        BpeTrainer.Vocabulary b = BpeTrainer.train(TEXTS, 400);
        assertEquals(a, b);
        TokenizerJson.write(dir.resolve("a"), a, 256);
        TokenizerJson.write(dir.resolve("b"), b, 256);
        for (String file : List.of(TokenizerJson.TOKENIZER_JSON, TokenizerJson.TOKENIZER_CONFIG,
                TokenizerJson.SPECIAL_TOKENS_MAP)) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve(file)),
                    Files.readAllBytes(dir.resolve("b").resolve(file)), file);
        }
        assertNotEquals(a, BpeTrainer.train(TEXTS, 401));
    }

    @Test
    void writtenFilesHaveTheHuggingFaceShape() throws IOException {
        BpeTrainer.Vocabulary v = BpeTrainer.train(TEXTS, 300);
        TokenizerJson.write(dir, v, 512);
        ObjectMapper json = new ObjectMapper();
        JsonNode root = json.readTree(dir.resolve(TokenizerJson.TOKENIZER_JSON).toFile());
        assertEquals("1.0", root.get("version").asText());
        assertEquals(3, root.get("added_tokens").size());
        assertTrue(root.get("added_tokens").get(1).get("special").asBoolean());
        assertEquals("<s>", root.get("added_tokens").get(1).get("content").asText());
        assertTrue(root.get("normalizer").isNull());
        assertEquals("ByteLevel", root.get("pre_tokenizer").get("type").asText());
        assertEquals("TemplateProcessing", root.get("post_processor").get("type").asText());
        assertEquals("BPE", root.get("model").get("type").asText());
        assertEquals(300, root.get("model").get("vocab").size());
        assertEquals(2, root.get("model").get("vocab").get("</s>").asInt());
        assertEquals(v.merges().get(0).joined(), root.get("model").get("merges").get(0).asText());
        JsonNode config = json.readTree(dir.resolve(TokenizerJson.TOKENIZER_CONFIG).toFile());
        assertEquals("<s>", config.get("bos_token").asText());
        assertEquals("</s>", config.get("eos_token").asText());
        assertEquals("<unk>", config.get("unk_token").asText());
        assertEquals(512, config.get("model_max_length").asInt());
        assertEquals("PreTrainedTokenizerFast", config.get("tokenizer_class").asText());
        assertTrue(config.get("add_bos_token").asBoolean());
        JsonNode map = json.readTree(dir.resolve(TokenizerJson.SPECIAL_TOKENS_MAP).toFile());
        assertEquals("</s>", map.get("eos_token").asText());
    }

    @Test
    void djlLoadsItAndRoundTripsText() throws IOException {
        BpeTrainer.Vocabulary v = BpeTrainer.train(TEXTS, 420);
        TokenizerJson.write(dir, v, 1024);
        Map<String, String> options = Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                options)) {
            for (String s : List.of("Call me Ishmael.", "never mind—how long", "café naïve Ångström façade",
                    "a whale 🐳 and 🐋🐋!", "line one\n\nline two\n", "  leading and trailing  ", "tabs\tand\r\nCRLF",
                    "(Applause.) Thank you. We've got 1,000 ships; they're 42% done.", TEXT)) {
                Encoding e = tokenizer.encode(s, false, false);
                assertEquals(s, tokenizer.decode(e.getIds(), true), "round trip of " + s);
                long[] withBos = tokenizer.encode(s, true, false).getIds();
                assertEquals(BpeTrainer.BOS_ID, withBos[0], "BOS first for " + s);
                assertArrayEquals(e.getIds(), Arrays.copyOfRange(withBos, 1, withBos.length));
            }
            // A frequent training word is one merged token, with the id the trainer gave it.
            int whale = v.idOf(BpeTrainer.toByteLevel(" whale"));
            assertTrue(whale >= BpeTrainer.MIN_VOCAB_SIZE, "' whale' was merged");
            assertArrayEquals(new long[] {whale}, tokenizer.encode(" whale", false, false).getIds());
            int the = v.idOf(BpeTrainer.toByteLevel(" the"));
            assertArrayEquals(new long[] {the, whale}, tokenizer.encode(" the whale", false, false).getIds());
            // No truncation: a text far longer than model_max_length and DJL's default 512 keeps all its tokens.
            String longText = TEXT.repeat(40);
            long[] ids = tokenizer.encode(longText, false, false).getIds();
            assertTrue(ids.length > 2000, "tokens " + ids.length);
            assertEquals(longText, tokenizer.decode(ids, true));
        }
    }
}
