package dev.peft4j.train.instruct;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Parses single lines of WordNet 3.0's database files as {@code wndb(5WN)} and {@code cntlist(5WN)} describe them,
 * strictly: a line that does not have the documented fields is refused with its file, line number, the field that
 * was expected and what was found, rather than skipped.
 */
final class WordNetParser {

    private static final Predicate<String> OFFSET = digits(8);
    private static final Predicate<String> TWO_DIGITS = digits(2);
    private static final Predicate<String> THREE_DIGITS = digits(3);
    private static final Predicate<String> TWO_HEX = hex(2);
    private static final Predicate<String> ONE_HEX = hex(1);
    private static final Predicate<String> FOUR_HEX = hex(4);
    private static final Predicate<String> NUMBER = value -> value.length() <= 9 && digits(value.length()).test(value);
    private static final Predicate<String> NON_EMPTY = value -> !value.isEmpty();
    private static final Predicate<String> SYNSET_TYPE = oneOf("nvasr");
    private static final Predicate<String> POS_LETTER = oneOf("nvar");
    private static final Predicate<String> PLUS = "+"::equals;
    private static final Predicate<String> INDEX_LEMMA = value -> !value.isEmpty() && value.equals(
            value.toLowerCase(Locale.ROOT));
    /** The pointer symbols of wninput(5WN). */
    private static final Set<String> POINTER_SYMBOLS = Set.of("!", "@", "@i", "~", "~i", "#m", "#s", "#p", "%m",
            "%s", "%p", "=", "+", ";c", "-c", ";r", "-r", ";u", "-u", "*", ">", "^", "$", "&", "<", "\\");
    private static final Predicate<String> POINTER_SYMBOL = POINTER_SYMBOLS::contains;
    /** Index lines write the domain pointers without their class letter: {@code ;} and {@code -}. */
    private static final Predicate<String> INDEX_POINTER_SYMBOL = symbol -> POINTER_SYMBOLS.contains(symbol)
            || symbol.equals(";") || symbol.equals("-");
    private static final List<String> ADJECTIVE_MARKERS = List.of("(a)", "(p)", "(ip)");
    private static final Pattern SENSE_KEY = Pattern.compile("([^%\\s]+)%([1-5]):\\d{2}:\\d{2}:[^:\\s]*:(\\d{2})?");
    private static final String GLOSS_SEPARATOR = " | ";

    /** A line of {@code cntlist.rev}: how often one sense of {@code lemma} was tagged in the concordance texts. */
    record SenseCount(String lemma, PartOfSpeech pos, int tagCount) {
    }

    private WordNetParser() {
    }

    /** True for the licence lines at the top of data and index files, which start with two spaces. */
    static boolean isHeader(String line) {
        return line.startsWith("  ");
    }

    /**
     * {@code synset_offset lex_filenum ss_type w_cnt word lex_id [word lex_id...] p_cnt [ptr...] [frames...] | gloss}.
     */
    static Synset parseSynset(String line, PartOfSpeech filePos, String file, int lineNumber) throws IOException {
        int bar = line.indexOf(GLOSS_SEPARATOR);
        if (bar < 0) {
            throw malformed(file, lineNumber, "' | ' before the gloss", "none", line);
        }
        Fields fields = new Fields(line.substring(0, bar), file, lineNumber, line);
        int offset = Integer.parseInt(fields.next(OFFSET, "an 8-digit synset offset"));
        fields.next(TWO_DIGITS, "a 2-digit lexicographer file number");
        String type = fields.next(SYNSET_TYPE, "a synset type n, v, a, s or r");
        if (PartOfSpeech.ofSynsetType(type.charAt(0)) != filePos) {
            throw malformed(file, lineNumber, "a synset of type " + filePos.code()
                    + (filePos == PartOfSpeech.ADJECTIVE ? " or s" : "") + " in " + filePos.dataFile(),
                    "type " + type, line);
        }
        int wordCount = Integer.parseInt(fields.next(TWO_HEX, "a 2-digit hexadecimal word count"), 16);
        if (wordCount == 0) {
            throw malformed(file, lineNumber, "at least one word", "a word count of 00", line);
        }
        List<String> words = new ArrayList<>(wordCount);
        for (int i = 0; i < wordCount; i++) {
            String word = fields.next(NON_EMPTY, "a word");
            fields.next(ONE_HEX, "a 1-digit hexadecimal lex_id after the word");
            words.add(withoutMarker(word).replace('_', ' '));
        }
        int pointerCount = Integer.parseInt(fields.next(THREE_DIGITS, "a 3-digit pointer count"));
        List<Synset.Pointer> pointers = new ArrayList<>(pointerCount);
        for (int i = 0; i < pointerCount; i++) {
            String symbol = fields.next(POINTER_SYMBOL, "a pointer symbol such as ! or @");
            int target = Integer.parseInt(fields.next(OFFSET, "the 8-digit target offset of a pointer"));
            String targetPos = fields.next(POS_LETTER, "the target part of speech n, v, a or r");
            String sourceTarget = fields.next(FOUR_HEX, "a 4-digit hexadecimal source/target field");
            int sourceWord = Integer.parseInt(sourceTarget.substring(0, 2), 16);
            int targetWord = Integer.parseInt(sourceTarget.substring(2), 16);
            if (sourceWord > wordCount || (sourceWord == 0) != (targetWord == 0)) {
                throw malformed(file, lineNumber, "source/target words 0000 or a source word 1.." + wordCount
                        + " with a target word", sourceTarget, line);
            }
            pointers.add(new Synset.Pointer(symbol, target, PartOfSpeech.ofCode(targetPos.charAt(0)), sourceWord,
                    targetWord));
        }
        if (filePos == PartOfSpeech.VERB) {
            int frameCount = Integer.parseInt(fields.next(TWO_DIGITS, "a 2-digit verb frame count"));
            for (int i = 0; i < frameCount; i++) {
                fields.next(PLUS, "'+' before a verb frame");
                fields.next(TWO_DIGITS, "a 2-digit frame number");
                fields.next(TWO_HEX, "a 2-digit hexadecimal word number");
            }
        }
        fields.requireEnd("' | ' and the gloss");
        return new Synset(offset, filePos, words, pointers, line.substring(bar + GLOSS_SEPARATOR.length()).strip());
    }

    /** {@code lemma pos synset_cnt p_cnt [ptr_symbol...] sense_cnt tagsense_cnt synset_offset [synset_offset...]}. */
    static IndexEntry parseIndexEntry(String line, PartOfSpeech filePos, String file, int lineNumber)
            throws IOException {
        Fields fields = new Fields(line.stripTrailing(), file, lineNumber, line);
        String lemma = fields.next(INDEX_LEMMA, "a lower-case lemma");
        String pos = fields.next(POS_LETTER, "a part of speech n, v, a or r");
        if (pos.charAt(0) != filePos.code()) {
            throw malformed(file, lineNumber, "the part of speech " + filePos.code() + " of " + filePos.indexFile(),
                    "'" + pos + "'", line);
        }
        int synsetCount = Integer.parseInt(fields.next(NUMBER, "the synset count"));
        int symbolCount = Integer.parseInt(fields.next(NUMBER, "the pointer-symbol count"));
        for (int i = 0; i < symbolCount; i++) {
            fields.next(INDEX_POINTER_SYMBOL, "a pointer symbol such as ! or @");
        }
        String senseCount = fields.next(NUMBER, "the sense count");
        if (Integer.parseInt(senseCount) != synsetCount || synsetCount == 0) {
            throw malformed(file, lineNumber, "a sense count equal to the synset count " + synsetCount
                    + " (and not 0)", senseCount, line);
        }
        fields.next(NUMBER, "the tagged-sense count");
        List<Integer> offsets = new ArrayList<>(synsetCount);
        for (int i = 0; i < synsetCount; i++) {
            offsets.add(Integer.parseInt(fields.next(OFFSET, "an 8-digit synset offset")));
        }
        fields.requireEnd("the end of the line after the synset offsets");
        return new IndexEntry(lemma.replace('_', ' '), filePos, offsets);
    }

    /** {@code sense_key sense_number tag_cnt}, the sense key being {@code lemma%ss_type:lex_filenum:lex_id:head:id}. */
    static SenseCount parseSenseCount(String line, String file, int lineNumber) throws IOException {
        Fields fields = new Fields(line.stripTrailing(), file, lineNumber, line);
        String key = fields.next(NON_EMPTY, "a sense key");
        var matcher = SENSE_KEY.matcher(key);
        if (!matcher.matches()) {
            throw malformed(file, lineNumber, "a sense key lemma%ss_type:lex_filenum:lex_id:head_word:head_id "
                    + "with ss_type 1 to 5", key, line);
        }
        fields.next(NUMBER, "a sense number");
        int tagCount = Integer.parseInt(fields.next(NUMBER, "a tag count"));
        fields.requireEnd("the end of the line after the tag count");
        PartOfSpeech pos = PartOfSpeech.ofSenseKeyType(Integer.parseInt(matcher.group(2)));
        return new SenseCount(matcher.group(1).replace('_', ' '), pos, tagCount);
    }

    /** The word without an adjective's syntactic marker: {@code galore(ip)} is {@code galore}. */
    private static String withoutMarker(String word) {
        for (String marker : ADJECTIVE_MARKERS) {
            if (word.endsWith(marker) && word.length() > marker.length()) {
                return word.substring(0, word.length() - marker.length());
            }
        }
        return word;
    }

    private static Predicate<String> digits(int length) {
        return value -> value.length() == length && allIn(value, "0123456789");
    }

    private static Predicate<String> hex(int length) {
        return value -> value.length() == length && allIn(value, "0123456789abcdef");
    }

    private static boolean allIn(String value, String allowed) {
        for (int i = 0; i < value.length(); i++) {
            if (allowed.indexOf(value.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    private static Predicate<String> oneOf(String letters) {
        return value -> value.length() == 1 && letters.indexOf(value.charAt(0)) >= 0;
    }

    static IOException malformed(String file, int lineNumber, String expected, String found, String line) {
        String shown = line.length() > 120 ? line.substring(0, 120) + "..." : line;
        return new IOException(file + " line " + lineNumber + ": expected " + expected + ", found " + found
                + " in: " + shown.strip() + "\nThe file is not in WordNet 3.0's format (man 5 wndb) or is damaged; "
                + "delete the cached package to fetch it again");
    }

    /** The space-separated fields of one line, read left to right, each checked against what must come next. */
    private static final class Fields {
        private final String[] values;
        private final String file;
        private final int lineNumber;
        private final String line;
        private int next;

        Fields(String text, String file, int lineNumber, String line) {
            this.values = text.isEmpty() ? new String[0] : text.split(" ", -1);
            this.file = file;
            this.lineNumber = lineNumber;
            this.line = line;
        }

        String next(Predicate<String> valid, String expected) throws IOException {
            if (next >= values.length) {
                throw malformed(file, lineNumber, expected, "the end of the line", line);
            }
            String value = values[next++];
            if (!valid.test(value)) {
                throw malformed(file, lineNumber, expected, "'" + value + "' (field " + next + ")", line);
            }
            return value;
        }

        void requireEnd(String expected) throws IOException {
            if (next < values.length) {
                throw malformed(file, lineNumber, expected, "'" + values[next] + "' (field " + (next + 1) + ")", line);
            }
        }
    }
}
