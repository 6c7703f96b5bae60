package dev.peft4j.train.instruct;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of WordNet 3.0 that the instructions need, read from one folder: every synset of the four
 * {@code data.*} files, every line of the four {@code index.*} files, and the tag counts of {@code cntlist.rev}
 * summed per lemma and part of speech. {@link #read} checks that every synset an index line or a pointer names
 * exists, and that each synset of an index line holds its lemma.
 */
final class WordNetDatabase {

    /** Where Debian's {@code wordnet-base} package puts the database. */
    static final String PACKAGE_DIR = "usr/share/wordnet";
    static final String COUNT_FILE = "cntlist.rev";

    private final Map<PartOfSpeech, Map<Integer, Synset>> synsets;
    private final List<IndexEntry> entries;
    private final Map<String, Integer> tagCounts;

    WordNetDatabase(List<Synset> synsetList, List<IndexEntry> entries, List<WordNetParser.SenseCount> senseCounts) {
        this.synsets = new EnumMap<>(PartOfSpeech.class);
        for (PartOfSpeech pos : PartOfSpeech.values()) {
            synsets.put(pos, new HashMap<>());
        }
        for (Synset synset : synsetList) {
            if (synsets.get(synset.pos()).put(synset.offset(), synset) != null) {
                throw new IllegalArgumentException("Two synsets at offset " + synset.offset() + " of "
                        + synset.pos().dataFile() + "; offsets are byte positions, so the file is damaged");
            }
        }
        this.entries = List.copyOf(entries);
        this.tagCounts = new HashMap<>();
        for (WordNetParser.SenseCount count : senseCounts) {
            tagCounts.merge(key(count.lemma(), count.pos()), count.tagCount(), Integer::sum);
        }
    }

    /**
     * Reads the database in {@code dir} (the folder holding {@code data.noun}).
     *
     * @throws IOException if a file is missing, a line is malformed, or a synset offset points nowhere
     */
    static WordNetDatabase read(Path dir) throws IOException {
        List<Synset> synsets = new ArrayList<>();
        List<IndexEntry> entries = new ArrayList<>();
        for (PartOfSpeech pos : PartOfSpeech.values()) {
            Path data = existing(dir, pos.dataFile());
            forEachLine(data, (line, number) -> {
                if (!WordNetParser.isHeader(line)) {
                    synsets.add(WordNetParser.parseSynset(line, pos, data.toString(), number));
                }
            });
            Path index = existing(dir, pos.indexFile());
            forEachLine(index, (line, number) -> {
                if (!WordNetParser.isHeader(line)) {
                    entries.add(WordNetParser.parseIndexEntry(line, pos, index.toString(), number));
                }
            });
        }
        Path countFile = existing(dir, COUNT_FILE);
        List<WordNetParser.SenseCount> counts = new ArrayList<>();
        forEachLine(countFile, (line, number) -> counts.add(WordNetParser.parseSenseCount(line, countFile.toString(),
                number)));
        WordNetDatabase database = new WordNetDatabase(synsets, entries, counts);
        database.checkReferences(dir);
        return database;
    }

    /** Every index line, noun file first, each file in its (alphabetical) order. */
    List<IndexEntry> entries() {
        return entries;
    }

    /** The synset at {@code offset} of {@code pos}'s data file; {@link #read} checked that it exists. */
    Synset synset(PartOfSpeech pos, int offset) {
        Synset synset = synsets.get(pos).get(offset);
        if (synset == null) {
            throw new IllegalArgumentException("No synset at offset " + offset + " in " + pos.dataFile());
        }
        return synset;
    }

    /** The senses of an index line in WordNet's order, most frequent first. */
    List<Synset> senses(IndexEntry entry) {
        List<Synset> senses = new ArrayList<>(entry.synsetOffsets().size());
        entry.synsetOffsets().forEach(offset -> senses.add(synset(entry.pos(), offset)));
        return senses;
    }

    /** How often the senses of {@code lemma} (lower case, spaces) in {@code pos} were tagged; 0 if never. */
    int tagCount(String lemma, PartOfSpeech pos) {
        return tagCounts.getOrDefault(key(lemma, pos), 0);
    }

    private void checkReferences(Path dir) throws IOException {
        for (IndexEntry entry : entries) {
            for (int offset : entry.synsetOffsets()) {
                if (!synsets.get(entry.pos()).containsKey(offset)) {
                    throw new IOException(dir.resolve(entry.pos().indexFile()) + ": the line of '" + entry.lemma()
                            + "' names synset " + offset + ", which " + entry.pos().dataFile() + " does not hold; the "
                            + "files come from different WordNet versions or are damaged: fetch the package again");
                }
            }
        }
        for (IndexEntry entry : entries) {
            for (Synset sense : senses(entry)) {
                if (wordNumbers(sense, entry.lemma()).isEmpty()) {
                    throw new IOException(dir.resolve(entry.pos().indexFile()) + ": the line of '" + entry.lemma()
                            + "' names synset " + sense.offset() + ", whose words " + sense.words() + " do not "
                            + "include it; the files are damaged: fetch the package again");
                }
            }
        }
        for (Map<Integer, Synset> byOffset : synsets.values()) {
            for (Synset synset : byOffset.values()) {
                for (Synset.Pointer pointer : synset.pointers()) {
                    Synset target = synsets.get(pointer.targetPos()).get(pointer.targetOffset());
                    if (target == null || pointer.targetWord() > target.words().size()) {
                        throw new IOException(dir.resolve(synset.pos().dataFile()) + ": synset " + synset.offset()
                                + " has a pointer " + pointer.symbol() + " to " + pointer.targetOffset() + " "
                                + pointer.targetPos().code() + (target == null ? ", which does not exist"
                                        : " word " + pointer.targetWord() + ", which has only "
                                                + target.words().size() + " words")
                                + "; the files are damaged: fetch the package again");
                    }
                }
            }
        }
    }

    /** The 1-based numbers of the words of {@code synset} that are {@code lemma}, ignoring case. */
    static List<Integer> wordNumbers(Synset synset, String lemma) {
        List<Integer> numbers = new ArrayList<>(1);
        for (int i = 0; i < synset.words().size(); i++) {
            if (synset.words().get(i).equalsIgnoreCase(lemma)) {
                numbers.add(i + 1);
            }
        }
        return numbers;
    }

    private static String key(String lemma, PartOfSpeech pos) {
        return lemma + '\t' + pos.code();
    }

    private static Path existing(Path dir, String name) throws IOException {
        Path file = dir.resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new IOException("Expected the WordNet file " + file + "; it is missing. WordNet 3.0 as Debian's "
                    + WordNetInstructions.DEBIAN_PACKAGE + " package has it: delete the cached package to fetch it "
                    + "again");
        }
        return file;
    }

    private interface LineConsumer {
        void accept(String line, int lineNumber) throws IOException;
    }

    private static void forEachLine(Path file, LineConsumer consumer) throws IOException {
        // an InputStreamReader replaces bad bytes by U+FFFD, so the check below names the exact line; a strict
        // decoder would fail wherever its read-ahead buffer happens to end
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(Files.newInputStream(file),
                StandardCharsets.UTF_8))) {
            int number = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                number++;
                if (line.indexOf('\uFFFD') >= 0) {
                    throw new IOException(file + " line " + number + " is not UTF-8 text; WordNet 3.0's files are "
                            + "ASCII, so this copy is damaged: delete the cached package to fetch it again");
                }
                consumer.accept(line, number);
            }
        }
    }
}
