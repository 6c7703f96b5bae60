package dev.peft4j.train.instruct;

import java.util.List;

/**
 * One line of a WordNet {@code data.*} file: a set of synonymous words, its pointers to other synsets and its gloss.
 *
 * @param offset the synset's byte offset in its data file, which index lines and pointers use as its id
 * @param pos the file's part of speech (satellites are adjectives)
 * @param words the lemmas in the lexicographer's spelling and case, {@code _} replaced by a space and an adjective's
 *     syntactic marker ({@code (a)}, {@code (p)}, {@code (ip)}) removed
 * @param pointers the relations to other synsets or, when {@link Pointer#lexical()}, between two words
 * @param gloss the text after {@code |}: a definition, then examples in double quotes, separated by {@code ;}
 */
record Synset(int offset, PartOfSpeech pos, List<String> words, List<Pointer> pointers, String gloss) {

    /** WordNet's antonym pointer, lexical: it links one word of this synset to one word of the target. */
    static final String ANTONYM = "!";
    /** WordNet's hypernym pointer ("is a kind of"); instance hypernyms ({@code @i}) are a different symbol. */
    static final String HYPERNYM = "@";

    Synset {
        words = List.copyOf(words);
        pointers = List.copyOf(pointers);
    }

    /**
     * A relation from this synset to another.
     *
     * @param symbol WordNet's pointer symbol ({@code !}, {@code @}, {@code @i}, {@code &}, ...)
     * @param sourceWord the 1-based word of this synset the relation starts from, or 0 for the whole synset
     * @param targetWord the 1-based word of the target synset, or 0 for the whole synset
     */
    record Pointer(String symbol, int targetOffset, PartOfSpeech targetPos, int sourceWord, int targetWord) {

        /** True for a relation between two words (antonyms, derivations) rather than two synsets. */
        boolean lexical() {
            return sourceWord != 0;
        }
    }
}
