package dev.peft4j.train.instruct;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The instructions about one lemma in one part of speech: at most one of each kind, each with the answers WordNet
 * gives. The instruction names the part of speech, since the answers depend on it ("bank" the noun and the verb
 * have different definitions and synonyms), and quotes the word in the spelling of its most frequent sense
 * ({@code "God"}, {@code "bank"}). There is no separate input: a word inside the instruction costs fewer prompt
 * tokens than an {@code ### Input:} section.
 */
final class WordNetExamples {

    /** Where a gloss's examples start: a {@code ;} or {@code :} followed by a double quote. */
    private static final Pattern EXAMPLES_START = Pattern.compile("[;:]\\s*\"");
    private static final Pattern TRAILING_SEPARATOR = Pattern.compile("[;:\\s]+$");

    private final WordNetDatabase database;

    WordNetExamples(WordNetDatabase database) {
        this.database = database;
    }

    /** The examples about {@code entry} in {@link InstructionKind} order, without kinds WordNet has no answer for. */
    List<InstructionExample> of(IndexEntry entry) {
        List<Synset> senses = database.senses(entry);
        String shown = spelling(senses.get(0), entry.lemma());
        String pos = entry.pos().englishName();
        List<InstructionExample> examples = new ArrayList<>(4);
        define(senses).ifPresent(definition -> examples.add(new InstructionExample(
                "Define the " + pos + " \"" + shown + "\".", "", definition, InstructionKind.DEFINE, entry.lemma(),
                List.of(definition))));
        addIfAny(examples, InstructionKind.SYNONYM, "Give a synonym of the " + pos + " \"" + shown + "\".",
                entry.lemma(), synonyms(entry, senses));
        addIfAny(examples, InstructionKind.ANTONYM, "Give an antonym of the " + pos + " \"" + shown + "\".",
                entry.lemma(), antonyms(entry, senses));
        if (entry.pos() == PartOfSpeech.NOUN) {
            addIfAny(examples, InstructionKind.HYPERNYM, "What is \"" + shown + "\" a kind of?", entry.lemma(),
                    hypernyms(entry, senses));
        }
        return examples;
    }

    /**
     * The definition part of a gloss: the text before its first quoted example, without the separating {@code ;} or
     * {@code :} (nor one that ends the gloss); empty when the gloss is only examples.
     */
    static String definition(String gloss) {
        Matcher examples = EXAMPLES_START.matcher(gloss);
        String definition = examples.find() ? gloss.substring(0, examples.start()) : gloss;
        definition = TRAILING_SEPARATOR.matcher(definition).replaceFirst("").strip();
        return definition.startsWith("\"") ? "" : definition;
    }

    /** The definition of the most frequent sense that has one (a gloss may hold examples only). */
    private static Optional<String> define(List<Synset> senses) {
        return senses.stream().map(sense -> definition(sense.gloss())).filter(text -> !text.isEmpty()).findFirst();
    }

    /**
     * The other lemmas of every sense, most frequent sense first. The output is the most often tagged of the other
     * lemmas of the first sense that has any: a synonym in the word's main meaning, and a common word.
     */
    private List<String> synonyms(IndexEntry entry, List<Synset> senses) {
        Synset main = firstWithOthers(senses, entry.lemma());
        if (main == null) {
            return List.of();
        }
        String best = null;
        for (String word : main.words()) {
            if (!word.equalsIgnoreCase(entry.lemma())
                    && (best == null || tagCount(word, entry.pos()) > tagCount(best, entry.pos()))) {
                best = word;
            }
        }
        Map<String, String> others = new LinkedHashMap<>();
        for (Synset sense : senses) {
            sense.words().forEach(word -> addUnlessLemma(others, word, entry.lemma()));
        }
        return outputFirst(best, others);
    }

    /** WordNet's lexical antonyms ({@code !}) of the lemma's own word in each sense, most frequent sense first. */
    private List<String> antonyms(IndexEntry entry, List<Synset> senses) {
        Map<String, String> antonyms = new LinkedHashMap<>();
        for (Synset sense : senses) {
            List<Integer> own = WordNetDatabase.wordNumbers(sense, entry.lemma());
            for (Synset.Pointer pointer : sense.pointers()) {
                if (pointer.symbol().equals(Synset.ANTONYM) && own.contains(pointer.sourceWord())) {
                    String word = database.synset(pointer.targetPos(), pointer.targetOffset()).words()
                            .get(pointer.targetWord() - 1);
                    addUnlessLemma(antonyms, word, entry.lemma());
                }
            }
        }
        return List.copyOf(antonyms.values());
    }

    /** The lemmas of the hypernym ({@code @}) synsets of each sense, most frequent sense first. */
    private List<String> hypernyms(IndexEntry entry, List<Synset> senses) {
        Map<String, String> hypernyms = new LinkedHashMap<>();
        for (Synset sense : senses) {
            for (Synset.Pointer pointer : sense.pointers()) {
                if (pointer.symbol().equals(Synset.HYPERNYM)) {
                    for (String word : database.synset(pointer.targetPos(), pointer.targetOffset()).words()) {
                        addUnlessLemma(hypernyms, word, entry.lemma());
                    }
                }
            }
        }
        return List.copyOf(hypernyms.values());
    }

    private static Synset firstWithOthers(List<Synset> senses, String lemma) {
        for (Synset sense : senses) {
            if (sense.words().stream().anyMatch(word -> !word.equalsIgnoreCase(lemma))) {
                return sense;
            }
        }
        return null;
    }

    private int tagCount(String word, PartOfSpeech pos) {
        return database.tagCount(word.toLowerCase(Locale.ROOT), pos);
    }

    /** The lemma as its first synset spells it ("God", "bank"). */
    private static String spelling(Synset sense, String lemma) {
        return sense.words().stream().filter(word -> word.equalsIgnoreCase(lemma)).findFirst().orElse(lemma);
    }

    private static void addUnlessLemma(Map<String, String> answers, String word, String lemma) {
        if (!word.equalsIgnoreCase(lemma)) {
            answers.putIfAbsent(word.toLowerCase(Locale.ROOT), word);
        }
    }

    /** The answers with {@code output} moved to the front. */
    private static List<String> outputFirst(String output, Map<String, String> answers) {
        List<String> ordered = new ArrayList<>(answers.size());
        ordered.add(output);
        for (String answer : answers.values()) {
            if (!answer.equalsIgnoreCase(output)) {
                ordered.add(answer);
            }
        }
        return ordered;
    }

    private static void addIfAny(List<InstructionExample> examples, InstructionKind kind, String instruction,
            String lemma, List<String> answers) {
        if (!answers.isEmpty()) {
            examples.add(new InstructionExample(instruction, "", answers.get(0), kind, lemma, answers));
        }
    }
}
