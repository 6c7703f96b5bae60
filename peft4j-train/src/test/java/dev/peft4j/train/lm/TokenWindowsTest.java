package dev.peft4j.train.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenWindowsTest {

    private static final int BOS = 1;
    private static final int EOS = 2;

    @Test
    void streamAppendsEosToEveryDocument() {
        int[] stream = TokenWindows.stream(List.of(new int[] {BOS, 10, 11}, new int[] {BOS, 12}), EOS);
        assertArrayEquals(new int[] {BOS, 10, 11, EOS, BOS, 12, EOS}, stream);
    }

    @Test
    void windowsOverlapByOneAndDropTheTail() {
        // stream: 1 10 11 12 13 2 1 20 21 2 (10 tokens); length 3 -> windows at 0, 3, 6; a window at 9 lacks 3 tokens
        List<int[]> windows = TokenWindows.pack(
                List.of(new int[] {BOS, 10, 11, 12, 13}, new int[] {BOS, 20, 21}), EOS, 3);
        assertEquals(3, windows.size());
        assertArrayEquals(new int[] {BOS, 10, 11, 12}, windows.get(0));
        assertArrayEquals(new int[] {12, 13, EOS, BOS}, windows.get(1));
        assertArrayEquals(new int[] {BOS, 20, 21, EOS}, windows.get(2));
        assertArrayEquals(new int[] {12, 13, EOS}, TokenWindows.inputs(windows.get(1)));
        assertArrayEquals(new int[] {13, EOS, BOS}, TokenWindows.targets(windows.get(1)));
        assertArrayEquals(new boolean[] {false, false, true}, TokenWindows.targetIsBos(windows.get(1), BOS));
    }

    @Test
    void everyStreamTokenAfterTheFirstIsATargetOnceWhenTheStreamFits() {
        // 2 documents of 4 tokens + EOS each = 10 tokens; length 3 -> 3 windows cover tokens 1..9 as targets
        List<int[]> docs = List.of(new int[] {BOS, 5, 6, 7}, new int[] {BOS, 8, 9, 10});
        int[] stream = TokenWindows.stream(docs, EOS);
        List<Integer> targets = new ArrayList<>();
        for (int[] w : TokenWindows.pack(docs, EOS, 3)) {
            for (int t : TokenWindows.targets(w)) {
                targets.add(t);
            }
        }
        List<Integer> expected = new ArrayList<>();
        for (int i = 1; i < stream.length; i++) {
            expected.add(stream[i]);
        }
        assertEquals(expected, targets);
    }

    @Test
    void windowCountMatchesPack() {
        List<int[]> docs = new ArrayList<>();
        for (int d = 0; d < 7; d++) {
            int[] doc = new int[1 + d * 3];
            doc[0] = BOS;
            for (int i = 1; i < doc.length; i++) {
                doc[i] = 100 + i;
            }
            docs.add(doc);
        }
        int streamTokens = TokenWindows.stream(docs, EOS).length;
        for (int length = 1; length <= streamTokens + 1; length++) {
            List<int[]> windows = TokenWindows.pack(docs, EOS, length);
            assertEquals(TokenWindows.windowCount(streamTokens, length), windows.size(), "length " + length);
            for (int[] w : windows) {
                assertEquals(length + 1, w.length);
            }
        }
        assertTrue(TokenWindows.pack(docs, EOS, streamTokens).isEmpty(), "a stream of N tokens has no N+1 window");
        assertEquals(1, TokenWindows.pack(docs, EOS, streamTokens - 1).size());
    }

    @Test
    void deterministic() {
        List<int[]> docs = List.of(new int[] {BOS, 3, 4, 5, 6, 7, 8}, new int[] {BOS, 9});
        List<int[]> a = TokenWindows.pack(docs, EOS, 2);
        List<int[]> b = TokenWindows.pack(docs, EOS, 2);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i), b.get(i));
        }
    }

    @Test
    void rejectsEmptyDocumentsAndZeroLength() {
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> TokenWindows.pack(List.of(new int[] {BOS}, new int[0]), EOS, 4));
        assertEquals("Document 1 of 2 has no tokens; every document must start with its BOS id (encode with BOS "
                + "added)", empty.getMessage());
        IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
                () -> TokenWindows.pack(List.of(new int[] {BOS}), EOS, 0));
        assertEquals("A window needs at least one input position, found length 0", zero.getMessage());
    }
}
