package dev.peft4j.train.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class WordNetInstructionsTest {

    private static InstructionExample example(String instruction, String output, InstructionKind kind, String word,
            String... answers) {
        return new InstructionExample(instruction, "", output, kind, word, List.of(answers));
    }

    @Test
    void examplesOfTheExcerptsMostTaggedWordFirst() throws IOException {
        List<InstructionExample> examples = WordNetInstructions.examples(WordNetExcerpts.database());
        // awake (adjective senses tagged 9 + 2 times) before asleep (9) before puppy (2); "at peace" is not a
        // single word, so it is never asked about, though it is an answer
        assertEquals(List.of(
                example("Define the adjective \"awake\".", "not in a state of sleep; completely conscious",
                        InstructionKind.DEFINE, "awake", "not in a state of sleep; completely conscious"),
                // alive (tagged 14 + 3 times as an adjective) beats alert (7 + 1 + 3) in awake's second sense
                example("Give a synonym of the adjective \"awake\".", "alive", InstructionKind.SYNONYM, "awake",
                        "alive", "alert"),
                example("Give an antonym of the adjective \"awake\".", "asleep", InstructionKind.ANTONYM, "awake",
                        "asleep"),
                example("Define the adjective \"asleep\".", "in a state of sleep", InstructionKind.DEFINE, "asleep",
                        "in a state of sleep"),
                // numb (tagged 3 times) beats benumbed (never) in the first sense that has other lemmas
                example("Give a synonym of the adjective \"asleep\".", "numb", InstructionKind.SYNONYM, "asleep",
                        "numb", "benumbed", "at peace", "at rest", "deceased", "departed", "gone"),
                example("Give an antonym of the adjective \"asleep\".", "awake", InstructionKind.ANTONYM, "asleep",
                        "awake"),
                example("Define the noun \"puppy\".", "a young dog", InstructionKind.DEFINE, "puppy", "a young dog"),
                example("Give a synonym of the noun \"puppy\".", "pup", InstructionKind.SYNONYM, "puppy", "pup"),
                example("What is \"puppy\" a kind of?", "pup", InstructionKind.HYPERNYM, "puppy", "pup", "whelp",
                        "dog", "domestic dog", "Canis familiaris", "young person", "youth", "younker",
                        "spring chicken")),
                examples);
    }

    @Test
    void definitionsStopBeforeTheQuotedExamples() {
        assertEquals("mentally perceptive and responsive", WordNetExamples.definition(
                "mentally perceptive and responsive;\"an alert mind\"; \"alert to the problems\""));
        assertEquals("a complete extent or range", WordNetExamples.definition(
                "a complete extent or range: \"a face that expressed a gamut of emotions\""));
        assertEquals("significant progress (especially in the phrase \"make strides\")", WordNetExamples.definition(
                "significant progress (especially in the phrase \"make strides\"); \"they made big strides in "
                        + "productivity\""));
        assertEquals("a young dog", WordNetExamples.definition("a young dog"));
        assertEquals("a workplace; as in the expression \"on the job\"", WordNetExamples.definition(
                "a workplace; as in the expression \"on the job\";"));
        assertEquals("", WordNetExamples.definition("\"an example only\""));
    }

    @Test
    void eachWordGoesWhollyToThePartOfItsHash() {
        // SHA-256 percent buckets, computed independently: awake 37 and puppy 74 (train), good 82 (validation),
        // moon 96 (test)
        List<InstructionExample> examples = List.of(
                example("Define the noun \"moon\".", "the natural satellite of the Earth", InstructionKind.DEFINE,
                        "moon", "the natural satellite of the Earth"),
                example("Give an antonym of the adjective \"good\".", "bad", InstructionKind.ANTONYM, "good", "bad"),
                example("Give an antonym of the adjective \"awake\".", "asleep", InstructionKind.ANTONYM, "awake",
                        "asleep"),
                example("Give an antonym of the noun \"good\".", "evil", InstructionKind.ANTONYM, "good", "evil"),
                example("Define the noun \"puppy\".", "a young dog", InstructionKind.DEFINE, "puppy", "a young dog"));
        InstructionSplits splits = WordNetInstructions.split(examples);
        assertEquals(List.of(examples.get(2), examples.get(4)), splits.train());
        assertEquals(List.of(examples.get(1), examples.get(3)), splits.validation());
        assertEquals(List.of(examples.get(0)), splits.test());
    }
}
