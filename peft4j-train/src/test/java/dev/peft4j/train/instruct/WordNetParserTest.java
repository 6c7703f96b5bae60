package dev.peft4j.train.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class WordNetParserTest {

    /** data.verb line 30 of wordnet-base 1:3.0-37: four words, 21 pointers, two verb frames. */
    private static final String BREATHE = ""
            + "00001740 29 v 04 breathe 0 take_a_breath 0 respire 0 suspire 3 021 * 00005041 v 0000 * 00004227 "
            + "v 0000 + 03110323 a 0301 + 00831191 n 0303 + 04080833 n 0301 + 04250850 n 0105 + 00831191 n "
            + "0101 ^ 00004227 v 0103 ^ 00005041 v 0103 $ 00002325 v 0000 $ 00002573 v 0000 ~ 00002573 v 0000 "
            + "~ 00002724 v 0000 ~ 00002942 v 0000 ~ 00003826 v 0000 ~ 00004032 v 0000 ~ 00004227 v 0000 ~ "
            + "00005041 v 0000 ~ 00006697 v 0000 ~ 00007328 v 0000 ~ 00017031 v 0000 02 + 02 00 + 08 00 | draw "
            + "air into, and expel out of, the lungs; \"I can breathe better when the air is clean\"; \"The "
            + "patient is respiring\"  ";
    /** index.noun line 30: a domain pointer symbol written without its class letter. */
    private static final String HOOD = "'hood n 1 2 @ ; 1 0 08641944  ";

    private static String line(String text, int index) {
        return text.split("\n")[index];
    }

    @Test
    void synsetWithAnAntonymAndAMarkedWord() throws IOException {
        Synset awake = WordNetParser.parseSynset(line(WordNetExcerpts.ADJECTIVE_DATA, 1), PartOfSpeech.ADJECTIVE,
                "data.adj", 1);
        assertEquals(186616, awake.offset());
        assertEquals(List.of("awake"), awake.words());
        assertEquals(9, awake.pointers().size());
        assertEquals(new Synset.Pointer("!", 187736, PartOfSpeech.ADJECTIVE, 1, 1), awake.pointers().get(3));
        assertTrue(awake.pointers().get(3).lexical());
        assertEquals(new Synset.Pointer("^", 91311, PartOfSpeech.ADJECTIVE, 0, 0), awake.pointers().get(0));
        assertEquals("not in a state of sleep; completely conscious; \"lay awake thinking about his new job\"; "
                + "\"still not fully awake\"", awake.gloss());
    }

    @Test
    void satelliteWordsLoseMarkersAndUnderscores() throws IOException {
        Synset dead = WordNetParser.parseSynset(line(WordNetExcerpts.ADJECTIVE_DATA, 0), PartOfSpeech.ADJECTIVE,
                "data.adj", 1);
        assertEquals(List.of("asleep", "at peace", "at rest", "deceased", "departed", "gone"), dead.words());
        assertEquals(new Synset.Pointer(";u", 6605046, PartOfSpeech.NOUN, 0, 0), dead.pointers().get(1));
        assertEquals(new Synset.Pointer("+", 9994943, PartOfSpeech.NOUN, 5, 6), dead.pointers().get(2));
    }

    @Test
    void verbLinesEndWithFrames() throws IOException {
        Synset breathe = WordNetParser.parseSynset(BREATHE, PartOfSpeech.VERB, "data.verb", 30);
        assertEquals(List.of("breathe", "take a breath", "respire", "suspire"), breathe.words());
        assertEquals(21, breathe.pointers().size());
        assertEquals(new Synset.Pointer("~", 17031, PartOfSpeech.VERB, 0, 0), breathe.pointers().get(20));
        assertTrue(breathe.gloss().startsWith("draw air into, and expel out of, the lungs;"), breathe.gloss());
    }

    @Test
    void indexLines() throws IOException {
        IndexEntry asleep = WordNetParser.parseIndexEntry(line(WordNetExcerpts.ADJECTIVE_INDEX, 0),
                PartOfSpeech.ADJECTIVE, "index.adj", 1);
        assertEquals(new IndexEntry("asleep", PartOfSpeech.ADJECTIVE, List.of(187736, 2103334, 95873)), asleep);
        assertEquals(new IndexEntry("'hood", PartOfSpeech.NOUN, List.of(8641944)),
                WordNetParser.parseIndexEntry(HOOD, PartOfSpeech.NOUN, "index.noun", 30));
        assertEquals("at peace", WordNetParser.parseIndexEntry(line(WordNetExcerpts.ADJECTIVE_INDEX, 1),
                PartOfSpeech.ADJECTIVE, "index.adj", 2).lemma());
    }

    @Test
    void senseCountsMapSatellitesToAdjectives() throws IOException {
        assertEquals(new WordNetParser.SenseCount("awake", PartOfSpeech.ADJECTIVE, 2),
                WordNetParser.parseSenseCount("awake%5:00:00:conscious:00 2 2", "cntlist.rev", 11));
        assertEquals(new WordNetParser.SenseCount("awake", PartOfSpeech.VERB, 7),
                WordNetParser.parseSenseCount("awake%2:29:00:: 1 7", "cntlist.rev", 9));
        assertEquals(new WordNetParser.SenseCount("a bit", PartOfSpeech.ADVERB, 21),
                WordNetParser.parseSenseCount("a_bit%4:02:00:: 1 21", "cntlist.rev", 3));
    }

    @Test
    void malformedDataLinesNameFileLineExpectedAndFound() {
        String awake = line(WordNetExcerpts.ADJECTIVE_DATA, 1);
        assertMalformed(() -> WordNetParser.parseSynset(awake, PartOfSpeech.NOUN, "data.noun", 7),
                "data.noun line 7: expected a synset of type n in data.noun, found type a");
        assertMalformed(() -> WordNetParser.parseSynset(awake.substring(0, awake.indexOf(" | ")),
                PartOfSpeech.ADJECTIVE, "data.adj", 8), "data.adj line 8: expected ' | ' before the gloss, found none");
        assertMalformed(() -> WordNetParser.parseSynset(awake.replace(" 009 ", " 010 "), PartOfSpeech.ADJECTIVE,
                "data.adj", 9), "data.adj line 9: expected a pointer symbol such as ! or @, found the end of the line");
        assertMalformed(() -> WordNetParser.parseSynset(awake.replace(" a 01 ", " a zz "), PartOfSpeech.ADJECTIVE,
                "data.adj", 10), "expected a 2-digit hexadecimal word count, found 'zz' (field 4)");
        assertMalformed(() -> WordNetParser.parseSynset(awake.replace("a 0101", "a 0201"), PartOfSpeech.ADJECTIVE,
                "data.adj", 11),
                "expected source/target words 0000 or a source word 1..1 with a target word, found 0201");
        assertMalformed(() -> WordNetParser.parseSynset(BREATHE.replace(" 02 + 02 00", " 03 + 02 00"),
                PartOfSpeech.VERB, "data.verb", 30), "expected '+' before a verb frame, found the end of the line");
        assertMalformed(() -> WordNetParser.parseSynset(BREATHE.replace("+ 08 00 |", "+ 08 00 x |"),
                PartOfSpeech.VERB, "data.verb", 30), "expected ' | ' and the gloss, found 'x'");
    }

    @Test
    void malformedIndexAndCountLines() {
        assertMalformed(() -> WordNetParser.parseIndexEntry(HOOD.replace("08641944", "08641944 08641945"),
                PartOfSpeech.NOUN, "index.noun", 30), "index.noun line 30: expected the end of the line after the "
                + "synset offsets, found '08641945' (field 10)");
        assertMalformed(() -> WordNetParser.parseIndexEntry(HOOD.replace(" 1 0 ", " 2 0 "), PartOfSpeech.NOUN,
                "index.noun", 30), "expected a sense count equal to the synset count 1 (and not 0), found 2");
        assertMalformed(() -> WordNetParser.parseIndexEntry(HOOD, PartOfSpeech.VERB, "index.verb", 30),
                "index.verb line 30: expected the part of speech v of index.verb, found 'n'");
        assertMalformed(() -> WordNetParser.parseSenseCount("awake 1 9", "cntlist.rev", 4),
                "cntlist.rev line 4: expected a sense key lemma%ss_type:lex_filenum:lex_id:head_word:head_id");
        assertMalformed(() -> WordNetParser.parseSenseCount("awake%3:00:00:: 1", "cntlist.rev", 5),
                "expected a tag count, found the end of the line");
    }

    private static void assertMalformed(Parse parse, String expected) {
        IOException e = assertThrows(IOException.class, parse::run);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains("delete the cached package to fetch it again"), e.getMessage());
    }

    private interface Parse {
        void run() throws IOException;
    }
}
