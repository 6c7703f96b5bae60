package dev.peft4j.apps.instruct;

import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.train.instruct.AlpacaJsonl;
import dev.peft4j.train.instruct.InstructionExample;
import dev.peft4j.train.instruct.InstructionSplits;
import dev.peft4j.train.instruct.WordNetInstructions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Where instruction data comes from: the built-in WordNet instructions (split by word), or a user's Alpaca JSON Lines
 * with an optional validation file; without one, every tenth example by a hash of its instruction and input is held
 * out for validation and test alike (a user's file has no test split of its own).
 */
public sealed interface InstructionSource {

    /** The id of the built-in WordNet data. */
    String WORDNET = "wordnet";

    /** A short name for run folders and tables. */
    String label();

    /** Loads the splits; {@code maxTrainPerKind} / {@code maxEvalPerKind} cap the built-in data (0: no cap). */
    InstructionSplits load(ArtifactCache cache, int maxTrainPerKind, int maxEvalPerKind) throws IOException;

    static InstructionSource builtIn(String id) {
        if (!WORDNET.equals(id)) {
            throw new IllegalArgumentException("Unknown instruction task '" + id + "'; the built-in one is '" + WORDNET
                    + "' (WordNet definitions, synonyms, antonyms, hypernyms), or pass --data FILE.jsonl with "
                    + "instruction/input/output fields");
        }
        return new WordNet();
    }

    static InstructionSource files(Path train, Path validation) {
        return new Files(train, validation);
    }

    /** The built-in WordNet instructions. */
    record WordNet() implements InstructionSource {
        @Override
        public String label() {
            return WORDNET;
        }

        @Override
        public InstructionSplits load(ArtifactCache cache, int maxTrainPerKind, int maxEvalPerKind)
                throws IOException {
            return WordNetInstructions.load(cache, maxTrainPerKind, maxEvalPerKind);
        }
    }

    /** A user's Alpaca-format files. */
    record Files(Path train, Path validation) implements InstructionSource {
        @Override
        public String label() {
            String name = train.getFileName().toString();
            int dot = name.indexOf('.');
            return dot > 0 ? name.substring(0, dot) : name;
        }

        @Override
        public InstructionSplits load(ArtifactCache cache, int maxTrainPerKind, int maxEvalPerKind)
                throws IOException {
            List<InstructionExample> all = AlpacaJsonl.read(train);
            if (validation != null) {
                List<InstructionExample> held = AlpacaJsonl.read(validation);
                return new InstructionSplits(all, held, held);
            }
            List<InstructionExample> fit = new ArrayList<>();
            List<InstructionExample> held = new ArrayList<>();
            for (InstructionExample e : all) {
                (heldOut(e) ? held : fit).add(e);
            }
            if (held.isEmpty() || fit.isEmpty()) {
                throw new IllegalArgumentException(train + " has " + all.size() + " examples, too few to hold out a "
                        + "tenth for validation (found " + fit.size() + " to train, " + held.size() + " held out); "
                        + "pass --validation-data FILE, or more examples");
            }
            return new InstructionSplits(fit, held, held);
        }

        /** A tenth of the examples by content, so the split does not depend on the file's order. */
        private static boolean heldOut(InstructionExample e) {
            try {
                byte[] digest = MessageDigest.getInstance("SHA-256").digest((e.instruction() + "\u0000" + e.input())
                        .getBytes(StandardCharsets.UTF_8));
                return Byte.toUnsignedInt(digest[0]) % 10 == 0;
            } catch (NoSuchAlgorithmException impossible) { // every Java platform has SHA-256
                throw new IllegalStateException(impossible);
            }
        }
    }
}
