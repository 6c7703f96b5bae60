package dev.peft4j.train.instruct;

/**
 * WordNet's four syntactic categories, each with its {@code data.*} and {@code index.*} file. Adjective satellites
 * (synset type {@code s}, sense-key type 5) live in the adjective files and count as adjectives.
 */
enum PartOfSpeech {
    NOUN('n', "noun", "noun", 1),
    VERB('v', "verb", "verb", 2),
    ADJECTIVE('a', "adj", "adjective", 3),
    ADVERB('r', "adv", "adverb", 4);

    private final char code;
    private final String fileSuffix;
    private final String englishName;
    private final int senseKeyType;

    PartOfSpeech(char code, String fileSuffix, String englishName, int senseKeyType) {
        this.code = code;
        this.fileSuffix = fileSuffix;
        this.englishName = englishName;
        this.senseKeyType = senseKeyType;
    }

    /** The letter in index lines and pointers: {@code n}, {@code v}, {@code a}, {@code r}. */
    char code() {
        return code;
    }

    String dataFile() {
        return "data." + fileSuffix;
    }

    String indexFile() {
        return "index." + fileSuffix;
    }

    /** The word used in instructions: {@code noun}, {@code verb}, {@code adjective}, {@code adverb}. */
    String englishName() {
        return englishName;
    }

    /** The category of a pointer's or an index line's letter, or null for another character. */
    static PartOfSpeech ofCode(char code) {
        for (PartOfSpeech pos : values()) {
            if (pos.code == code) {
                return pos;
            }
        }
        return null;
    }

    /** The category of a synset type letter ({@code s}, a satellite, is an adjective), or null. */
    static PartOfSpeech ofSynsetType(char type) {
        return type == 's' ? ADJECTIVE : ofCode(type);
    }

    /** The category of a sense key's {@code ss_type} digit (1 to 5; 5 is an adjective satellite), or null. */
    static PartOfSpeech ofSenseKeyType(int type) {
        if (type == 5) {
            return ADJECTIVE;
        }
        for (PartOfSpeech pos : values()) {
            if (pos.senseKeyType == type) {
                return pos;
            }
        }
        return null;
    }
}
