package dev.peft4j.models.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class IncrementalDecoderTest {

    /** A byte-level tokenizer: each id stands for a byte string; decoding joins them and reads UTF-8 leniently. */
    private static Function<int[], String> byteDecoder(List<byte[]> vocabulary) {
        return ids -> {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int id : ids) {
                bytes.writeBytes(vocabulary.get(id));
            }
            return bytes.toString(StandardCharsets.UTF_8); // malformed or incomplete input becomes U+FFFD
        };
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aCharacterSplitOverTwoIdsIsEmittedWholeOnce() {
        byte[] euro = utf8("€"); // E2 82 AC
        List<byte[]> vocabulary = List.of(utf8("H"), Arrays.copyOfRange(euro, 0, 2), Arrays.copyOfRange(euro, 2, 3),
                utf8("!"));
        // Decoding the halves on their own would give replacement characters:
        assertEquals("\uFFFD", byteDecoder(vocabulary).apply(new int[] {1}).substring(0, 1));
        IncrementalDecoder decoder = new IncrementalDecoder(byteDecoder(vocabulary));
        assertEquals("H", decoder.push(0));
        assertEquals("", decoder.push(1), "incomplete character: hold back");
        assertEquals("€", decoder.push(2));
        assertEquals("!", decoder.push(3));
        assertEquals("", decoder.flush());
        assertArrayEquals(new int[] {0, 1, 2, 3}, decoder.generated());
    }

    @Test
    void aFourByteCharacterOverThreeIds() {
        byte[] emoji = utf8("😀"); // F0 9F 98 80, a surrogate pair in Java
        List<byte[]> vocabulary = List.of(Arrays.copyOfRange(emoji, 0, 1), Arrays.copyOfRange(emoji, 1, 3),
                Arrays.copyOfRange(emoji, 3, 4), utf8("a"));
        IncrementalDecoder decoder = new IncrementalDecoder(byteDecoder(vocabulary));
        assertEquals("a", decoder.push(3));
        assertEquals("", decoder.push(0));
        assertEquals("", decoder.push(1));
        assertEquals("😀", decoder.push(2));
    }

    @Test
    void flushReleasesAnIncompleteEndAsTheReplacementCharacter() {
        byte[] euro = utf8("€");
        List<byte[]> vocabulary = List.of(utf8("x"), Arrays.copyOfRange(euro, 0, 2));
        IncrementalDecoder decoder = new IncrementalDecoder(byteDecoder(vocabulary));
        assertEquals("x", decoder.push(0));
        assertEquals("", decoder.push(1));
        assertEquals("\uFFFD", decoder.flush());
        assertEquals("", decoder.flush());
    }

    /** A SentencePiece-like decoder: "▁" is a space, and the text's first leading space is stripped. */
    private static final List<String> PIECES = List.of("▁Hello", "▁world", "!", "▁again");

    private static String sentencePieceDecode(int[] ids) {
        StringBuilder b = new StringBuilder();
        for (int id : ids) {
            b.append(PIECES.get(id).replace('▁', ' '));
        }
        return b.length() > 0 && b.charAt(0) == ' ' ? b.substring(1) : b.toString();
    }

    @Test
    void thePromptGivesTheFirstTokenItsLeftContext() {
        IncrementalDecoder withPrompt = new IncrementalDecoder(IncrementalDecoderTest::sentencePieceDecode,
                new int[] {0});
        assertEquals(" world", withPrompt.push(1), "the space of ▁world survives after the prompt's text");
        assertEquals("!", withPrompt.push(2));
        assertEquals(" again", withPrompt.push(3));
        assertArrayEquals(new int[] {1, 2, 3}, withPrompt.generated());

        IncrementalDecoder alone = new IncrementalDecoder(IncrementalDecoderTest::sentencePieceDecode);
        assertEquals("world", alone.push(1), "the start of a text loses its leading space, as the tokenizer does");
        assertEquals(" again", alone.push(3), "later tokens keep it: the window gives them context");
    }

    @Test
    void onlyTheLastContextTokensAreDecodedAndTheWindowStaysShort() {
        List<int[]> calls = new ArrayList<>();
        Function<int[], String> recording = ids -> {
            calls.add(ids);
            return sentencePieceDecode(ids);
        };
        int[] prompt = new int[40];
        IncrementalDecoder decoder = new IncrementalDecoder(recording, prompt);
        for (int i = 0; i < 100; i++) {
            decoder.push(i % 4);
        }
        assertEquals(IncrementalDecoder.CONTEXT_TOKENS, calls.get(0).length);
        for (int[] ids : calls) {
            assertEquals(true, ids.length <= IncrementalDecoder.CONTEXT_TOKENS + 1, "window of " + ids.length);
        }
    }

    /** Random UTF-8 text cut into random byte pieces: the increments join to the whole decode, with no U+FFFD. */
    @Test
    void incrementsJoinToTheFullDecode() {
        Random random = new Random(5);
        String alphabet = "aé€😀 ß中\n";
        for (int trial = 0; trial < 500; trial++) {
            StringBuilder text = new StringBuilder();
            for (int i = random.nextInt(20); i > 0; i--) {
                text.appendCodePoint(alphabet.codePointAt(alphabet.offsetByCodePoints(0,
                        random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            byte[] bytes = utf8(text.toString());
            List<byte[]> vocabulary = new ArrayList<>();
            for (int at = 0; at < bytes.length; ) {
                int end = Math.min(bytes.length, at + 1 + random.nextInt(3));
                vocabulary.add(Arrays.copyOfRange(bytes, at, end));
                at = end;
            }
            IncrementalDecoder decoder = new IncrementalDecoder(byteDecoder(vocabulary));
            StringBuilder streamed = new StringBuilder();
            for (int id = 0; id < vocabulary.size(); id++) {
                String increment = decoder.push(id);
                assertEquals(-1, increment.indexOf('\uFFFD'), "no half characters are streamed");
                streamed.append(increment);
            }
            streamed.append(decoder.flush());
            assertEquals(text.toString(), streamed.toString());
        }
    }
}
