package dev.peft4j.models.generate;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds stop strings in text that arrives piece by piece, and decides how much of it may be streamed.
 *
 * <p>A stop string usually spans several tokens ({@code "\n\nUser:"}), so it is looked for in the accumulated text,
 * not in single pieces. When one appears the output is cut just before it: the stop string itself is not part of
 * the output, as with vLLM's {@code stop}. The stop string that wins is the one that completes first, as if the text
 * arrived one character at a time; when several complete at the same character, the one starting earliest (so
 * nothing of any completed stop string is output).
 *
 * <p>Streaming must not show text that a later cut would take back. So a {@link Tracker} holds back the longest
 * suffix of the text that is a proper prefix of some stop string (with stop {@code "###"} and text
 * {@code "answer ##"}, it releases {@code "answer "} and waits); once the next piece shows that the suffix does not
 * grow into a stop string, it is released. Nothing is held back that could not start a stop string, and
 * {@link Tracker#finish()} releases what is held when generation ends for another reason (length, end of sequence).
 * Concatenating every piece a tracker releases therefore gives exactly {@link Tracker#output()}.
 *
 * <p>Instances are immutable; a {@link Tracker} holds the state of one sequence.
 */
public final class StopStrings {

    /** A completed stop string: {@code text[start, end)} equals {@code stop}. */
    public record Match(int start, int end, String stop) {
    }

    private final List<String> strings;
    private final int longest;

    /** @param strings the stop strings, none empty; may be an empty list, then nothing stops and nothing is held */
    public StopStrings(List<String> strings) {
        Objects.requireNonNull(strings, "stop strings: expected a list (possibly empty), found null");
        int max = 0;
        for (int i = 0; i < strings.size(); i++) {
            String stop = strings.get(i);
            if (stop == null || stop.isEmpty()) {
                throw new IllegalArgumentException("stop strings: expected non-empty strings, found "
                        + (stop == null ? "null" : "an empty string") + " at index " + i + "; remove it");
            }
            max = Math.max(max, stop.length());
        }
        this.strings = List.copyOf(strings);
        this.longest = max;
    }

    /** The stop strings of a generation config. */
    public static StopStrings of(GenerationConfig config) {
        return new StopStrings(config.stopStrings());
    }

    public List<String> strings() {
        return strings;
    }

    public boolean isEmpty() {
        return strings.isEmpty();
    }

    /** A new tracker for one sequence's output. */
    public Tracker tracker() {
        return new Tracker(this);
    }

    /**
     * The first stop string to complete in {@code text} after its first {@code searchedUpTo} characters, i.e. among
     * occurrences ending beyond {@code searchedUpTo} the one with the smallest end, then the smallest start.
     * Occurrences ending within the first {@code searchedUpTo} characters are not looked for: a caller that already
     * searched that much passes its length, so each call only scans the new text and a stop string's length before
     * it.
     */
    public Optional<Match> firstMatch(CharSequence text, int searchedUpTo) {
        if (searchedUpTo < 0 || searchedUpTo > text.length()) {
            throw new IllegalArgumentException("searchedUpTo: expected a length in [0, " + text.length()
                    + "], found " + searchedUpTo);
        }
        Match best = null;
        for (String stop : strings) {
            int start = indexOf(text, stop, Math.max(0, searchedUpTo - stop.length() + 1));
            if (start < 0) {
                continue;
            }
            int end = start + stop.length();
            if (best == null || end < best.end() || (end == best.end() && start < best.start())) {
                best = new Match(start, end, stop);
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The length of the longest suffix of {@code text[from, length)} that is a proper prefix of some stop string:
     * the text that must wait because the next piece could complete a stop string. 0 when none could.
     */
    public int pendingPrefixLength(CharSequence text, int from) {
        int length = text.length();
        for (int k = Math.min(longest - 1, length - from); k >= 1; k--) {
            for (String stop : strings) {
                if (stop.length() > k && regionEquals(text, length - k, stop, k)) {
                    return k;
                }
            }
        }
        return 0;
    }

    private static int indexOf(CharSequence text, String stop, int from) {
        int last = text.length() - stop.length();
        for (int start = from; start <= last; start++) {
            if (regionEquals(text, start, stop, stop.length())) {
                return start;
            }
        }
        return -1;
    }

    /** Whether {@code text[start, start + n)} equals the first n characters of {@code stop}. */
    private static boolean regionEquals(CharSequence text, int start, String stop, int n) {
        for (int i = 0; i < n; i++) {
            if (text.charAt(start + i) != stop.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The output of one sequence as it grows: feed it each new piece of decoded text with {@link #append}, stream
     * what it returns, stop generating the sequence once {@link #stopped()}, and call {@link #finish()} when the
     * sequence ends for any other reason.
     */
    public static final class Tracker {
        private final StopStrings stops;
        private final StringBuilder text = new StringBuilder();
        private int released;
        private Match match;
        private boolean finished;

        private Tracker(StopStrings stops) {
            this.stops = stops;
        }

        /**
         * Adds the next piece of decoded text and returns the text that is now safe to stream (possibly empty).
         * When this piece completes a stop string, the returned text runs up to the stop string's start and
         * {@link #stopped()} becomes true; pieces appended after that are ignored.
         *
         * @throws IllegalStateException after {@link #finish()}
         */
        public String append(String piece) {
            Objects.requireNonNull(piece, "piece");
            if (finished) {
                throw new IllegalStateException("this sequence was finished; expected no more text, found '"
                        + piece + "'; start a new tracker for a new sequence");
            }
            if (match != null || piece.isEmpty()) {
                return "";
            }
            int searched = text.length();
            text.append(piece);
            Optional<Match> found = stops.firstMatch(text, searched);
            if (found.isPresent()) {
                match = found.get();
                text.setLength(match.start());
                return release(match.start());
            }
            return release(text.length() - stops.pendingPrefixLength(text, released));
        }

        /**
         * Ends the sequence and returns the text still held back (empty after a stop string, whose cut already
         * released everything before it). Call it when generation ends by length or end-of-sequence.
         */
        public String finish() {
            if (finished) {
                return "";
            }
            finished = true;
            return release(text.length());
        }

        /** Whether a stop string has appeared; the sequence should not be generated any further. */
        public boolean stopped() {
            return match != null;
        }

        /** The stop string that ended the sequence, if one did. */
        public Optional<Match> match() {
            return Optional.ofNullable(match);
        }

        /** All output so far, cut before the stop string if one appeared, including text still held back. */
        public String output() {
            return text.toString();
        }

        /** How many characters of {@link #output()} were already returned for streaming. */
        public int released() {
            return released;
        }

        private String release(int upTo) {
            String out = text.substring(released, upTo);
            released = upTo;
            return out;
        }
    }
}
