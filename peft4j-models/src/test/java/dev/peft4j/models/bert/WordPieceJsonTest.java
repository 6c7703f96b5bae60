package dev.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer built from a vocab.txt, and the vocab files it refuses; the Google mapping of parameter names. */
class WordPieceJsonTest {

    private static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world",
            "##s", "\"quoted\\", ",", "!");

    @TempDir
    Path dir;

    @Test
    void tokenizesWithTheVocabularyIds() throws IOException {
        Path vocab = Files.write(dir.resolve("vocab.txt"), VOCAB, StandardCharsets.UTF_8);
        try (BertTokenizer tokenizer = BertTokenizer.fromVocab(vocab, 16)) {
            assertEquals(List.of("[CLS]", "hello", ",", "world", "##s", "!", "[UNK]", "[MASK]", "[SEP]"),
                    tokenizer.tokenize("HELLO, Worlds! zebra [MASK]"));
            BertTokenizer.Batch pair = tokenizer.encodePairs(List.of("hello"), List.of("worlds"));
            assertArrayEquals(new long[][] {{2, 5, 3, 6, 7, 3}}, pair.inputIds());
            assertArrayEquals(new long[][] {{0, 0, 0, 1, 1, 1}}, pair.typeIds());
        }
    }

    @Test
    void rejectsVocabWithoutSpecialTokensOrWithDuplicates() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> WordPieceJson.uncased(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello"), "v.txt"));
        assertTrue(missing.getMessage().contains("v.txt has no [MASK] token"), missing.getMessage());
        IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class,
                () -> WordPieceJson.uncased(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "a"), "v.txt"));
        assertTrue(duplicate.getMessage().contains("Token 'a' appears on lines 6 and 7 of v.txt"),
                duplicate.getMessage());
    }

    @Test
    void mapsHuggingFaceNamesToGoogleNames() {
        assertEquals("bert/encoder/layer_11/attention/self/query/kernel",
                TfBertCheckpoint.tfName("encoder.layer.11.attention.self.query.weight"));
        assertEquals("bert/encoder/layer_0/output/LayerNorm/beta",
                TfBertCheckpoint.tfName("encoder.layer.0.output.LayerNorm.bias"));
        assertEquals("bert/embeddings/LayerNorm/gamma", TfBertCheckpoint.tfName("embeddings.LayerNorm.weight"));
        assertEquals("bert/embeddings/token_type_embeddings",
                TfBertCheckpoint.tfName("embeddings.token_type_embeddings.weight"));
        assertEquals("bert/encoder/layer_2/intermediate/dense/bias",
                TfBertCheckpoint.tfName("encoder.layer.2.intermediate.dense.bias"));
        assertEquals("cls/predictions/transform/dense/kernel",
                TfBertCheckpoint.tfName("cls.predictions.transform.dense.weight"));
        assertEquals("cls/predictions/output_bias", TfBertCheckpoint.tfName("cls.predictions.bias"));
    }
}
