package dev.peft4j.train.instruct;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Real lines copied from WordNet 3.0's files in Debian's wordnet-base 1:3.0-37 (long lines wrapped into several
 * Java strings, each line still ending in the file's two spaces and newline): the adjectives "awake" and "asleep"
 * (antonyms of each other), the noun "puppy", and the synsets their pointers reach.
 */
final class WordNetExcerpts {

    /** The first licence line of every data and index file. */
    static final String HEADER = "  1 This software and database is being provided to you, the LICENSEE, by  \n";

    static final String NOUN_DATA = ""
            + "01322343 05 n 02 pup 0 whelp 0 004 @ 01321854 n 0000 + 00058516 v 0201 + 00058516 v 0102 ~ "
            + "01322604 n 0000 | young of any of various canines such as a dog or wolf  \n"
            + "01322604 05 n 01 puppy 0 002 @ 01322343 n 0000 @ 02084071 n 0000 | a young dog  \n"
            + "02084071 05 n 03 dog 0 domestic_dog 0 Canis_familiaris 0 023 @ 02083346 n 0000 @ 01317541 n "
            + "0000 #m 02083863 n 0000 #m 07994941 n 0000 ~ 01322604 n 0000 ~ 02084732 n 0000 ~ 02084861 n "
            + "0000 ~ 02085272 n 0000 ~ 02085374 n 0000 ~ 02087122 n 0000 ~ 02103406 n 0000 ~ 02110341 n 0000 "
            + "~ 02110806 n 0000 ~ 02110958 n 0000 ~ 02111129 n 0000 ~ 02111277 n 0000 ~ 02111500 n 0000 ~ "
            + "02111626 n 0000 ~ 02112497 n 0000 ~ 02112826 n 0000 ~ 02113335 n 0000 ~ 02113978 n 0000 %p "
            + "02158846 n 0000 | a member of the genus Canis (probably descended from the common wolf) that "
            + "has been domesticated by man since prehistoric times; occurs in many breeds; \"the dog barked "
            + "all night\"  \n"
            + "10493835 18 n 02 puppy 0 pup 0 001 @ 10804406 n 0000 | an inexperienced young person  \n"
            + "10804406 18 n 04 young_person 0 youth 0 younker 0 spring_chicken 0 006 @ 09622049 n 0000 ~ "
            + "09859285 n 0000 ~ 10178821 n 0000 ~ 10493835 n 0000 ~ 10559288 n 0000 ~ 10612104 n 0000 | a "
            + "young person (especially a young man or boy)  \n";

    static final String NOUN_INDEX = ""
            + "puppy n 2 1 @ 2 1 01322604 10493835  \n";

    static final String ADJECTIVE_DATA = ""
            + "00095873 00 s 06 asleep(p) 0 at_peace(p) 2 at_rest(p) 0 deceased 0 departed 0 gone 0 003 & "
            + "00095280 a 0000 ;u 06605046 n 0000 + 09994943 n 0506 | dead; \"he is deceased\"; \"our dear "
            + "departed friend\"  \n"
            + "00186616 00 a 01 awake(p) 0 009 ^ 00091311 a 0000 ^ 00190115 a 0000 ^ 00570590 a 0000 ! "
            + "00187736 a 0101 & 00186925 a 0000 & 00187049 a 0000 & 00187176 a 0000 & 00187443 a 0000 & "
            + "00187590 a 0000 | not in a state of sleep; completely conscious; \"lay awake thinking about his "
            + "new job\"; \"still not fully awake\"  \n"
            + "00187736 00 a 01 asleep(p) 0 011 ^ 00191603 a 0000 ^ 00571643 a 0000 ! 00186616 a 0101 & "
            + "00188058 a 0000 & 00188155 a 0000 & 00188436 a 0000 & 00188738 a 0000 & 00188917 a 0000 & "
            + "00189017 a 0000 & 00189253 a 0000 & 00189511 a 0000 | in a state of sleep; \"were all asleep "
            + "when the phone rang\"; \"fell asleep at the wheel\"  \n"
            + "00190653 00 s 03 alert 0 alive(p) 0 awake(p) 0 003 & 00190115 a 0000 + 13961642 n 0204 + "
            + "05705722 n 0104 |  mentally perceptive and responsive;\"an alert mind\"; \"alert to the "
            + "problems\"; \"alive to what is going on\"; \"awake to the dangers of her situation\"; \"was now "
            + "awake to the reality of his predicament\"  \n"
            + "02103334 00 s 03 asleep(p) 0 benumbed 0 numb 0 002 & 02102797 a 0000 + 14322528 n 0301 | "
            + "lacking sensation; \"my foot is asleep\"; \"numb with cold\"  \n";

    static final String ADJECTIVE_INDEX = ""
            + "asleep a 3 4 ! & ^ ; 3 1 00187736 02103334 00095873  \n"
            + "at_peace a 1 2 & ; 1 0 00095873  \n"
            + "awake a 2 3 ! & ^ 2 1 00186616 00190653  \n";

    static final String COUNTS = ""
            + "alert%2:32:00:: 1 9\n"
            + "alert%3:00:00:: 1 7\n"
            + "alert%5:00:00:conscious:00 3 1\n"
            + "alert%5:00:00:intelligent:00 2 3\n"
            + "alive%3:00:01:: 1 14\n"
            + "alive%5:00:00:lively:00 2 3\n"
            + "asleep%3:00:00:: 1 9\n"
            + "asleep%4:02:00:: 1 1\n"
            + "awake%2:29:00:: 1 7\n"
            + "awake%3:00:00:: 1 9\n"
            + "awake%5:00:00:conscious:00 2 2\n"
            + "numb%5:00:00:insensible:00 1 3\n"
            + "puppy%1:05:00:: 1 2\n";

    private WordNetExcerpts() {
    }

    /** The excerpts as a database, built without the reference check (their other pointers lead outside them). */
    static WordNetDatabase database() throws IOException {
        List<Synset> synsets = new ArrayList<>();
        synsets.addAll(synsets(NOUN_DATA, PartOfSpeech.NOUN));
        synsets.addAll(synsets(ADJECTIVE_DATA, PartOfSpeech.ADJECTIVE));
        List<IndexEntry> entries = new ArrayList<>();
        entries.addAll(entries(NOUN_INDEX, PartOfSpeech.NOUN));
        entries.addAll(entries(ADJECTIVE_INDEX, PartOfSpeech.ADJECTIVE));
        List<WordNetParser.SenseCount> counts = new ArrayList<>();
        String[] lines = COUNTS.split("\n");
        for (int i = 0; i < lines.length; i++) {
            counts.add(WordNetParser.parseSenseCount(lines[i], "cntlist.rev", i + 1));
        }
        return new WordNetDatabase(synsets, entries, counts);
    }

    static List<Synset> synsets(String text, PartOfSpeech pos) throws IOException {
        List<Synset> synsets = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            synsets.add(WordNetParser.parseSynset(lines[i], pos, pos.dataFile(), i + 1));
        }
        return synsets;
    }

    static List<IndexEntry> entries(String text, PartOfSpeech pos) throws IOException {
        List<IndexEntry> entries = new ArrayList<>();
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            entries.add(WordNetParser.parseIndexEntry(lines[i], pos, pos.indexFile(), i + 1));
        }
        return entries;
    }
}
