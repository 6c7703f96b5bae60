package dev.peft4j.train.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InstructionSplitsTest {

    @Test
    void partOfIsTheSha256PercentBucket() {
        // first 8 bytes of SHA-256, unsigned, mod 100, computed with Python's hashlib: good 82, bad 82, awake 37,
        // asleep 76, moon 96, sad 97, tree 2
        assertEquals(InstructionSplits.Part.VALIDATION, InstructionSplits.partOf("good"));
        assertEquals(InstructionSplits.Part.VALIDATION, InstructionSplits.partOf("bad"));
        assertEquals(InstructionSplits.Part.TRAIN, InstructionSplits.partOf("awake"));
        assertEquals(InstructionSplits.Part.TRAIN, InstructionSplits.partOf("asleep"));
        assertEquals(InstructionSplits.Part.TEST, InstructionSplits.partOf("moon"));
        assertEquals(InstructionSplits.Part.TEST, InstructionSplits.partOf("sad"));
        assertEquals(InstructionSplits.Part.TRAIN, InstructionSplits.partOf("tree"));
    }

    @Test
    void partsHoldAboutEightyTenTenOfManyWords() {
        Map<InstructionSplits.Part, Integer> counts = new EnumMap<>(InstructionSplits.Part.class);
        int words = 20_000;
        for (int i = 0; i < words; i++) {
            counts.merge(InstructionSplits.partOf("word" + i), 1, Integer::sum);
        }
        // binomial standard deviations for n = 20,000: 283 words at p = 0.8, 212 at p = 0.1; allow 4 of them
        assertEquals(16_000, counts.get(InstructionSplits.Part.TRAIN), 4 * 283);
        assertEquals(2_000, counts.get(InstructionSplits.Part.VALIDATION), 4 * 212);
        assertEquals(2_000, counts.get(InstructionSplits.Part.TEST), 4 * 212);
    }

    @Test
    void limitKeepsTheFirstOfEachKindInOrder() {
        List<InstructionExample> train = new ArrayList<>();
        for (String word : List.of("be", "have", "say")) {
            train.add(new InstructionExample("Define \"" + word + "\".", "", "d " + word, InstructionKind.DEFINE,
                    word, List.of("d " + word)));
            train.add(new InstructionExample("Synonym of \"" + word + "\"?", "", "s " + word, InstructionKind.SYNONYM,
                    word, List.of("s " + word)));
        }
        InstructionExample custom = InstructionExample.custom("Say hi.", "", "hi");
        InstructionSplits splits = new InstructionSplits(train, List.of(custom, custom), List.of());
        InstructionSplits limited = splits.limit(2, 1);
        assertEquals(List.of(train.get(0), train.get(1), train.get(2), train.get(3)), limited.train());
        assertEquals(List.of(custom), limited.validation());
        assertEquals(Map.of(InstructionKind.DEFINE, 3, InstructionKind.SYNONYM, 3),
                splits.countsByKind(InstructionSplits.Part.TRAIN));
        assertEquals(splits.train(), splits.limit(Integer.MAX_VALUE, 0).train());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> splits.limit(-1, 0));
        assertTrue(e.getMessage().contains("maxTrainPerKind=-1"), e.getMessage());
    }

    @Test
    void examplesCheckTheirAnswers() {
        IllegalArgumentException first = assertThrows(IllegalArgumentException.class, () -> new InstructionExample(
                "Give an antonym of the adjective \"good\".", "", "bad", InstructionKind.ANTONYM, "good",
                List.of("evil", "bad")));
        assertTrue(first.getMessage().contains("answers must start with the output 'bad', got [evil, bad]"),
                first.getMessage());
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class, () -> new InstructionExample(
                "Define the noun \"good\".", "", "benefit", InstructionKind.DEFINE, "good", List.of("benefit", "x")));
        assertTrue(two.getMessage().contains("A define example has one reference"), two.getMessage());
        assertThrows(IllegalArgumentException.class, () -> InstructionExample.custom("Say hi.", "", " "));
        assertThrows(IllegalArgumentException.class, () -> InstructionExample.custom(" ", "", "hi"));
    }
}
