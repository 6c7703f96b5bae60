package dev.peft4j.train.instruct;

/**
 * What an {@link InstructionExample} asks for, which decides how a response is scored: the WordNet kinds with a
 * closed set of right answers are scored by {@link InstructionScores#exactMatch exact match} against every
 * acceptable answer; a definition or a user's free-form example is scored by overlap with its one reference
 * ({@link InstructionScores#rougeL ROUGE-L}, {@link InstructionScores#tokenF1 token F1}).
 */
public enum InstructionKind {
    /** Define a word; the reference is the definition of its most frequent WordNet sense. */
    DEFINE("define", false),
    /** Give a synonym; any other lemma of the word's synsets in that part of speech is right. */
    SYNONYM("synonym", true),
    /** Give an antonym; any of WordNet's lexical antonyms ({@code !} pointers) of the word is right. */
    ANTONYM("antonym", true),
    /** Name what a noun is a kind of; any lemma of a hypernym ({@code @}) synset of one of its senses is right. */
    HYPERNYM("hypernym", true),
    /** A user's own example (from {@link AlpacaJsonl}); its output is the one reference. */
    CUSTOM("custom", false);

    private final String id;
    private final boolean exactMatch;

    InstructionKind(String id, boolean exactMatch) {
        this.id = id;
        this.exactMatch = exactMatch;
    }

    /** The lower-case name used in files and reports: {@code define}, {@code synonym}, ... */
    public String id() {
        return id;
    }

    /** True when a response is scored by exact match against {@link InstructionExample#answers()}. */
    public boolean exactMatch() {
        return exactMatch;
    }
}
