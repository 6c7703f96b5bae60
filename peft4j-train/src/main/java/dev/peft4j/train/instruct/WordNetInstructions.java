package dev.peft4j.train.instruct;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Instructions with checkable answers built from Princeton's WordNet 3.0, as Debian's {@value #DEBIAN_PACKAGE}
 * package ships it ({@code usr/share/wordnet/}: {@code data.*}, {@code index.*}, {@code cntlist.rev}). For each word
 * and part of speech there are up to four examples:
 *
 * <ul>
 *   <li>{@code define}: {@code Define the noun "bank".}; output the definition of its most frequent sense, without
 *       the gloss's quoted examples; scored by ROUGE-L or token F1.
 *   <li>{@code synonym}: {@code Give a synonym of the adjective "good".}; answers every other lemma of its synsets in
 *       that part of speech; output the most often tagged other lemma of its most frequent sense that has one.
 *   <li>{@code antonym}: {@code Give an antonym of the adjective "good".}; answers its lexical antonyms (WordNet's
 *       {@code !} pointers from this word); output the first, in sense order.
 *   <li>{@code hypernym}, nouns only: {@code What is "dog" a kind of?}; answers the lemmas of the hypernym
 *       ({@code @}, not instance-of {@code @i}) synsets of all its senses; output the first lemma of its first
 *       sense's first hypernym.
 * </ul>
 *
 * <p>Lemmas with {@code _} become words with spaces. The word asked about is a single word of two or more letters
 * a-z (no digits, hyphens, apostrophes or collocations, and no one-letter lemmas, which are letter names and
 * symbols); answers may be anything WordNet lists ("domestic dog").
 *
 * <p>Examples are ordered most common first: by how often the word's senses in that part of speech were tagged in
 * WordNet's semantic concordance ({@code cntlist.rev}), then by its number of senses (for the many untagged words),
 * then alphabetically, then noun, verb, adjective, adverb; within a word by kind. So a small limit per kind takes
 * the words a model pretrained on English books is most likely to know. Each word goes wholly to one part of the
 * split by a hash of the word ({@link InstructionSplits#partOf}, 80/10/10), whatever the limits.
 */
public final class WordNetInstructions {

    /** The Debian package holding WordNet 3.0's database files. */
    public static final String DEBIAN_PACKAGE = "wordnet-base";
    /** The words asked about: two or more lower-case letters. */
    static final Pattern ASKED_WORD = Pattern.compile("[a-z]{2,}");

    private WordNetInstructions() {
    }

    /**
     * Every example, split by word, fetching the package into {@code cache} on first use (6.5 MB).
     *
     * @throws IOException if the fetch fails or a WordNet file is missing or malformed
     */
    public static InstructionSplits load(ArtifactCache cache) throws IOException {
        return fromPackage(cache.debianPackage(DEBIAN_PACKAGE));
    }

    /**
     * The most common {@code maxTrainPerKind} training examples of each kind and {@code maxEvalPerKind} validation
     * and test examples of each kind: shorthand for {@code load(cache).limit(maxTrainPerKind, maxEvalPerKind)}, so
     * the limits never move a word to another part.
     */
    public static InstructionSplits load(ArtifactCache cache, int maxTrainPerKind, int maxEvalPerKind)
            throws IOException {
        return load(cache).limit(maxTrainPerKind, maxEvalPerKind);
    }

    /**
     * Every example from a WordNet 3.0 database folder of one's own (the one holding {@code data.noun}, e.g. the
     * {@code dict/} folder of Princeton's release).
     *
     * @throws IOException if a file is missing or malformed
     */
    public static InstructionSplits fromDirectory(Path wordnetDir) throws IOException {
        return split(examples(WordNetDatabase.read(wordnetDir)));
    }

    static InstructionSplits fromPackage(Path debianRoot) throws IOException {
        return fromDirectory(debianRoot.resolve(WordNetDatabase.PACKAGE_DIR));
    }

    /** All examples of the database, most common word first. */
    static List<InstructionExample> examples(WordNetDatabase database) {
        record Ranked(IndexEntry entry, int tagCount) {
        }
        Comparator<Ranked> mostCommonFirst = Comparator.comparingInt((Ranked ranked) -> -ranked.tagCount())
                .thenComparingInt(ranked -> -ranked.entry().synsetOffsets().size())
                .thenComparing(ranked -> ranked.entry().lemma())
                .thenComparing(ranked -> ranked.entry().pos());
        List<IndexEntry> asked = database.entries().stream()
                .filter(entry -> ASKED_WORD.matcher(entry.lemma()).matches())
                .map(entry -> new Ranked(entry, database.tagCount(entry.lemma(), entry.pos())))
                .sorted(mostCommonFirst)
                .map(Ranked::entry)
                .toList();
        WordNetExamples builder = new WordNetExamples(database);
        List<InstructionExample> examples = new ArrayList<>();
        asked.forEach(entry -> examples.addAll(builder.of(entry)));
        return examples;
    }

    /** Sends each example to the part of its word, keeping the order. */
    static InstructionSplits split(List<InstructionExample> examples) {
        Map<InstructionSplits.Part, List<InstructionExample>> parts = new EnumMap<>(InstructionSplits.Part.class);
        for (InstructionSplits.Part part : InstructionSplits.Part.values()) {
            parts.put(part, new ArrayList<>());
        }
        Map<String, InstructionSplits.Part> partOfWord = new HashMap<>();
        for (InstructionExample example : examples) {
            parts.get(partOfWord.computeIfAbsent(example.word(), InstructionSplits::partOf)).add(example);
        }
        return new InstructionSplits(parts.get(InstructionSplits.Part.TRAIN),
                parts.get(InstructionSplits.Part.VALIDATION), parts.get(InstructionSplits.Part.TEST));
    }
}
