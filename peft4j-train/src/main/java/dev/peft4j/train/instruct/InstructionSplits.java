package dev.peft4j.train.instruct;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Train, validation and test instruction examples, each list in a fixed order. For WordNet data the parts are split
 * by word ({@link #partOf}), so a word asked about in test is never asked about in training, under any kind.
 */
public record InstructionSplits(List<InstructionExample> train, List<InstructionExample> validation,
        List<InstructionExample> test) {

    /** {@link MessageDigest#getInstance} searches the security providers on every call: keep one per thread. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(InstructionSplits::sha256);

    /** Percent of words in train; {@value #VALIDATION_PERCENT} go to validation and the rest to test. */
    public static final int TRAIN_PERCENT = 80;
    /** Percent of words in validation. */
    public static final int VALIDATION_PERCENT = 10;

    /** One of the three parts. */
    public enum Part { TRAIN, VALIDATION, TEST }

    public InstructionSplits {
        if (train == null || validation == null || test == null) {
            throw new IllegalArgumentException("InstructionSplits needs train, validation and test lists (use an "
                    + "empty list for a missing part), got train=" + train + ", validation=" + validation + ", test="
                    + test);
        }
        train = List.copyOf(train);
        validation = List.copyOf(validation);
        test = List.copyOf(test);
    }

    /**
     * The part a word belongs to: the first 8 bytes of the SHA-256 of its UTF-8 bytes, read as an unsigned
     * big-endian number, modulo 100, below {@value #TRAIN_PERCENT} is train, below 90 validation, else test. It
     * depends on the word alone, never on limits, order or the other words, so it is the same on every machine and
     * in every WordNet build.
     */
    public static Part partOf(String word) {
        byte[] digest = SHA_256.get().digest(word.getBytes(StandardCharsets.UTF_8));
        long high = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            high = (high << 8) | (digest[i] & 0xff);
        }
        long percent = Long.remainderUnsigned(high, 100);
        return percent < TRAIN_PERCENT ? Part.TRAIN
                : percent < TRAIN_PERCENT + VALIDATION_PERCENT ? Part.VALIDATION : Part.TEST;
    }

    /** The list of one part. */
    public List<InstructionExample> get(Part part) {
        return switch (part) {
            case TRAIN -> train;
            case VALIDATION -> validation;
            case TEST -> test;
        };
    }

    /**
     * The first {@code maxTrainPerKind} examples of each kind in train and the first {@code maxEvalPerKind} of each
     * kind in validation and test, keeping the order (for WordNet data: the most frequent words first).
     *
     * @throws IllegalArgumentException for a negative limit
     */
    public InstructionSplits limit(int maxTrainPerKind, int maxEvalPerKind) {
        if (maxTrainPerKind < 0 || maxEvalPerKind < 0) {
            throw new IllegalArgumentException("Limits per kind must be >= 0, got maxTrainPerKind=" + maxTrainPerKind
                    + ", maxEvalPerKind=" + maxEvalPerKind + "; use Integer.MAX_VALUE for no limit");
        }
        return new InstructionSplits(limit(train, maxTrainPerKind), limit(validation, maxEvalPerKind),
                limit(test, maxEvalPerKind));
    }

    /** How many examples of each kind a part holds, in {@link InstructionKind} order, kinds with none left out. */
    public Map<InstructionKind, Integer> countsByKind(Part part) {
        Map<InstructionKind, Integer> counts = new EnumMap<>(InstructionKind.class);
        get(part).forEach(example -> counts.merge(example.kind(), 1, Integer::sum));
        return counts;
    }

    private static List<InstructionExample> limit(List<InstructionExample> examples, int maxPerKind) {
        Map<InstructionKind, Integer> taken = new EnumMap<>(InstructionKind.class);
        List<InstructionExample> kept = new ArrayList<>();
        for (InstructionExample example : examples) {
            if (taken.merge(example.kind(), 1, Integer::sum) <= maxPerKind) {
                kept.add(example);
            }
        }
        return kept;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "InstructionSplits[train=" + train.size() + ", validation=" + validation.size() + ", test="
                + test.size() + "]";
    }
}
