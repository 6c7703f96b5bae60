package dev.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real all-MiniLM-L6-v2 tokenizer.json (BERT uncased WordPiece vocabulary). */
class BertTokenizerTest {

    private static BertTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = BertTokenizer.load(PretrainedModel.ALL_MINILM_L6_V2, ModelJars.jar(PretrainedModel.ALL_MINILM_L6_V2), 16);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void helloWorldHasBertUncasedIds() {
        BertTokenizer.Batch batch = tokenizer.encode(List.of("Hello world"));
        // The JSON file pads to a fixed 128; our options pad to the longest in the batch instead.
        assertArrayEquals(new long[] {101, 7592, 2088, 102}, batch.inputIds()[0]);
        assertArrayEquals(new long[] {1, 1, 1, 1}, batch.attentionMask()[0]);
        assertArrayEquals(new long[] {0, 0, 0, 0}, batch.typeIds()[0]);
    }

    @Test
    void batchPadsToTheLongest() {
        BertTokenizer.Batch batch = tokenizer.encode(List.of("hello", "hello world again"));
        assertEquals(5, batch.seqLength());
        assertArrayEquals(new long[] {101, 7592, 102, 0, 0}, batch.inputIds()[0]);
        assertArrayEquals(new long[] {1, 1, 1, 0, 0}, batch.attentionMask()[0]);
        assertArrayEquals(new long[] {1, 1, 1, 1, 1}, batch.attentionMask()[1]);
    }

    @Test
    void pairsGetSegmentIds() {
        BertTokenizer.Batch batch = tokenizer.encodePairs(List.of("hello"), List.of("hello world"));
        assertArrayEquals(new long[] {101, 7592, 102, 7592, 2088, 102}, batch.inputIds()[0]);
        assertArrayEquals(new long[] {0, 0, 0, 1, 1, 1}, batch.typeIds()[0]);
    }

    @Test
    void truncatesToMaxLength() {
        String longText = "the quick brown fox jumps over the lazy dog ".repeat(10);
        BertTokenizer.Batch batch = tokenizer.encode(List.of(longText));
        assertEquals(16, batch.seqLength());
        assertEquals(101, batch.inputIds()[0][0]);
        assertEquals(102, batch.inputIds()[0][15]);
    }

    @Test
    void rejectsMismatchedPairs() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.encodePairs(List.of("a", "b"), List.of("c")));
        assertEquals("A pair batch needs as many second texts as first texts, found 2 and 1", e.getMessage());
    }
}
