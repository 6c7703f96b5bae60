package dev.peft4j.train.instruct;

import java.util.List;

/**
 * One line of a WordNet {@code index.*} file: a lemma and its senses in one part of speech.
 *
 * @param lemma lower case, {@code _} replaced by a space
 * @param synsetOffsets the synsets holding the lemma, most frequently tagged sense first (WordNet's sense order)
 */
record IndexEntry(String lemma, PartOfSpeech pos, List<Integer> synsetOffsets) {

    IndexEntry {
        synsetOffsets = List.copyOf(synsetOffsets);
    }
}
