package dev.peft4j.models.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    /** Feeds pieces to a tracker and records what it releases after each. */
    private static List<String> feed(StopStrings.Tracker tracker, String... pieces) {
        List<String> released = new ArrayList<>();
        for (String piece : pieces) {
            released.add(tracker.append(piece));
        }
        return released;
    }

    @Test
    void aStopStringInOnePieceCutsTheOutputBeforeIt() {
        StopStrings.Tracker tracker = new StopStrings(List.of("STOP")).tracker();
        assertEquals("abc", tracker.append("abcSTOPdef"));
        assertTrue(tracker.stopped());
        assertEquals("abc", tracker.output());
        assertEquals(new StopStrings.Match(3, 7, "STOP"), tracker.match().orElseThrow());
        assertEquals("", tracker.finish());
    }

    @Test
    void aStopStringAcrossPiecesIsHeldBackAndNeverStreamed() {
        StopStrings.Tracker tracker = new StopStrings(List.of("###")).tracker();
        assertEquals(List.of("Hello ", "", ""), feed(tracker, "Hello #", "#", "# world"));
        assertTrue(tracker.stopped());
        assertEquals("Hello ", tracker.output());
        assertEquals("", tracker.append("more"), "pieces after the stop are ignored");
        assertEquals("Hello ", tracker.output());
    }

    @Test
    void heldBackTextIsReleasedOnceItCannotBecomeAStopString() {
        StopStrings.Tracker tracker = new StopStrings(List.of("###")).tracker();
        assertEquals(List.of("a", "", "##b"), feed(tracker, "a#", "#", "b"));
        assertFalse(tracker.stopped());
        assertEquals("a##b", tracker.output());
    }

    @Test
    void overlappingPrefixesHoldOnlyTheLongestPossibleStart() {
        StopStrings.Tracker tracker = new StopStrings(List.of("aab")).tracker();
        assertEquals(List.of("", "", "a", ""), feed(tracker, "a", "a", "a", "b"));
        assertTrue(tracker.stopped());
        assertEquals("a", tracker.output());
    }

    @Test
    void theStopThatCompletesFirstWinsThenTheEarliestStart() {
        // "bc" completes at the third character, "abcd" would need a fourth.
        StopStrings.Tracker first = new StopStrings(List.of("abcd", "bc")).tracker();
        assertEquals("a", first.append("abcd"));
        assertEquals("bc", first.match().orElseThrow().stop());
        // Both complete at the same character: cut before the one that starts earlier.
        StopStrings.Tracker same = new StopStrings(List.of("bc", "abc")).tracker();
        assertEquals("x", same.append("xabc"));
        assertEquals("abc", same.match().orElseThrow().stop());
    }

    @Test
    void noFalseHoldBackAndFinishReleasesTheRest() {
        StopStrings.Tracker tracker = new StopStrings(List.of("\n\nUser:")).tracker();
        assertEquals("Hello world", tracker.append("Hello world"), "nothing here can start the stop string");
        assertEquals("", tracker.append("\n"));
        assertEquals("", tracker.append("\nUs"));
        assertEquals("\n\nUs", tracker.finish(), "the sequence ended by length: the held text is output");
        assertEquals("Hello world\n\nUs", tracker.output());
        assertFalse(tracker.stopped());
        assertEquals("", tracker.finish());
        assertThrows(IllegalStateException.class, () -> tracker.append("x"));
    }

    @Test
    void anEmptyStopListPassesEverythingThrough() {
        StopStrings none = new StopStrings(List.of());
        assertTrue(none.isEmpty());
        StopStrings.Tracker tracker = none.tracker();
        assertEquals(List.of("a", "###", "\n\n"), feed(tracker, "a", "###", "\n\n"));
        assertFalse(tracker.stopped());
        assertEquals("", tracker.finish());
    }

    @Test
    void aStopStringAtTheVeryStartLeavesAnEmptyOutput() {
        StopStrings.Tracker tracker = StopStrings.of(GenerationConfig.builder().optStopStrings("<|end|>").build())
                .tracker();
        assertEquals(List.of("", "", ""), feed(tracker, "<|", "end", "|>tail"));
        assertTrue(tracker.stopped());
        assertEquals("", tracker.output());
    }

    @Test
    void rejectsEmptyOrNullStopStrings() {
        assertThrows(IllegalArgumentException.class, () -> new StopStrings(List.of("a", "")));
        assertThrows(NullPointerException.class, () -> new StopStrings(null));
    }

    /**
     * Random texts over a small alphabet (so stop strings and their prefixes occur often), cut into random pieces:
     * the output equals a character-by-character reference, never contains a stop string, and the released pieces
     * join to it with nothing released that the cut later took back.
     */
    @Test
    void matchesACharacterByCharacterReference() {
        Random random = new Random(17);
        for (int trial = 0; trial < 3000; trial++) {
            List<String> stops = new ArrayList<>();
            for (int s = 1 + random.nextInt(3); s > 0; s--) {
                stops.add(randomText(random, 1 + random.nextInt(4)));
            }
            String text = randomText(random, random.nextInt(30));
            String expected = referenceCut(text, stops);
            StopStrings.Tracker tracker = new StopStrings(stops).tracker();
            StringBuilder streamed = new StringBuilder();
            int at = 0;
            while (at < text.length() && !tracker.stopped()) {
                int end = Math.min(text.length(), at + 1 + random.nextInt(5));
                streamed.append(tracker.append(text.substring(at, end)));
                assertTrue(expected.startsWith(streamed.toString()), () -> "streamed '" + streamed
                        + "' beyond the output '" + expected + "' of '" + text + "' with stops " + stops);
                at = end;
            }
            streamed.append(tracker.finish());
            String context = "text '" + text + "' with stops " + stops;
            assertEquals(expected, tracker.output(), context);
            assertEquals(expected, streamed.toString(), context);
            for (String stop : stops) {
                assertFalse(expected.contains(stop), context);
            }
        }
    }

    private static String randomText(Random random, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            b.append("ab#".charAt(random.nextInt(3)));
        }
        return b.toString();
    }

    /** Reads the text one character at a time; at the first character completing stop strings, cuts before them. */
    private static String referenceCut(String text, List<String> stops) {
        for (int end = 1; end <= text.length(); end++) {
            int cut = -1;
            for (String stop : stops) {
                if (text.startsWith(stop, end - stop.length()) && end >= stop.length()) {
                    cut = cut < 0 ? end - stop.length() : Math.min(cut, end - stop.length());
                }
            }
            if (cut >= 0) {
                return text.substring(0, cut);
            }
        }
        return text;
    }
}
