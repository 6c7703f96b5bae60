package dev.peft4j.train.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fetches Debian's wordnet-base into the default cache (6.5 MB, first run only) and builds every instruction. */
class WordNetInstructionsIT {

    private static InstructionSplits splits;
    private static double buildCpuSeconds;

    @BeforeAll
    static void load() throws IOException {
        ArtifactCache cache = ArtifactCache.defaultCache();
        cache.debianPackage(WordNetInstructions.DEBIAN_PACKAGE);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long start = System.nanoTime();
        long cpuStart = threads.getCurrentThreadCpuTime();
        splits = WordNetInstructions.load(cache);
        buildCpuSeconds = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        double wallSeconds = (System.nanoTime() - start) / 1e9;
        for (InstructionSplits.Part part : InstructionSplits.Part.values()) {
            Map<InstructionKind, Set<String>> wordsByKind = new TreeMap<>();
            splits.get(part).forEach(e -> wordsByKind.computeIfAbsent(e.kind(), k -> new HashSet<>()).add(e.word()));
            Map<InstructionKind, Integer> wordCounts = new EnumMap<>(InstructionKind.class);
            wordsByKind.forEach((kind, words) -> wordCounts.put(kind, words.size()));
            System.out.println("WordNet " + part + ": " + splits.get(part).size() + " examples of "
                    + words(splits.get(part)).size() + " words; examples by kind " + splits.countsByKind(part)
                    + "; words by kind " + wordCounts);
        }
        System.out.printf("WordNet instructions built in %.1f s (%.1f s of CPU on the loading thread)%n", wallSeconds,
                buildCpuSeconds);
    }

    private static Set<String> words(List<InstructionExample> examples) {
        Set<String> words = new HashSet<>();
        examples.forEach(example -> words.add(example.word()));
        return words;
    }

    @Test
    void buildsQuickly() {
        // CPU time of the building thread, not wall time: on a shared 2-core machine the wall time mostly measures
        // the other jobs (16.9 s at a load average near 10, for 4.0 s of CPU)
        assertTrue(buildCpuSeconds < 20, "building took " + buildCpuSeconds + " s of CPU");
    }

    @Test
    void countsPerKindAndPart() {
        assertEquals(Map.of(InstructionKind.DEFINE, 68_311, InstructionKind.SYNONYM, 49_370,
                InstructionKind.ANTONYM, 5_080, InstructionKind.HYPERNYM, 40_166),
                splits.countsByKind(InstructionSplits.Part.TRAIN));
        assertEquals(Map.of(InstructionKind.DEFINE, 8_377, InstructionKind.SYNONYM, 6_082,
                InstructionKind.ANTONYM, 617, InstructionKind.HYPERNYM, 4_901),
                splits.countsByKind(InstructionSplits.Part.VALIDATION));
        assertEquals(Map.of(InstructionKind.DEFINE, 8_401, InstructionKind.SYNONYM, 6_116,
                InstructionKind.ANTONYM, 578, InstructionKind.HYPERNYM, 4_946),
                splits.countsByKind(InstructionSplits.Part.TEST));
        assertEquals(62_124, words(splits.train()).size());
        assertEquals(7_683, words(splits.validation()).size());
        assertEquals(7_670, words(splits.test()).size());
    }

    @Test
    void partsAreDisjointByWordAndFollowTheHash() {
        Set<String> train = words(splits.train());
        Set<String> validation = words(splits.validation());
        Set<String> test = words(splits.test());
        for (Set<String> other : List.of(validation, test)) {
            Set<String> shared = new HashSet<>(train);
            shared.retainAll(other);
            assertEquals(Set.of(), shared);
        }
        Set<String> shared = new HashSet<>(validation);
        shared.retainAll(test);
        assertEquals(Set.of(), shared);
        for (InstructionSplits.Part part : InstructionSplits.Part.values()) {
            for (InstructionExample example : splits.get(part)) {
                assertEquals(part, InstructionSplits.partOf(example.word()), example.toString());
                assertTrue(example.word().matches("[a-z]{2,}"), example.toString());
            }
        }
    }

    @Test
    void goodHasTheAntonymBadAndDogIsACanine() {
        // good falls in validation (SHA-256 bucket 82), dog in train (52)
        assertEquals(new InstructionExample("Give an antonym of the adjective \"good\".", "", "bad",
                InstructionKind.ANTONYM, "good", List.of("bad", "evil")), find(splits.validation(), "good",
                        InstructionKind.ANTONYM, "adjective"));
        InstructionExample dog = find(splits.train(), "dog", InstructionKind.HYPERNYM, "");
        assertEquals("canine", dog.output());
        assertTrue(dog.answers().containsAll(List.of("canid", "domestic animal")), dog.answers().toString());
        assertEquals("a member of the genus Canis (probably descended from the common wolf) that has been "
                + "domesticated by man since prehistoric times; occurs in many breeds",
                find(splits.train(), "dog", InstructionKind.DEFINE, "noun").output());
    }

    @Test
    void theMostTaggedWordsComeFirst() {
        // be (verb senses tagged 16,667 times in all) is the most tagged lemma of WordNet; think leads validation
        assertEquals("Define the verb \"be\".", splits.train().get(0).instruction());
        assertEquals("Define the verb \"think\".", splits.validation().get(0).instruction());
        InstructionSplits small = splits.limit(100, 10);
        for (InstructionKind kind : List.of(InstructionKind.DEFINE, InstructionKind.SYNONYM, InstructionKind.ANTONYM,
                InstructionKind.HYPERNYM)) {
            List<InstructionExample> all = splits.train().stream().filter(e -> e.kind() == kind).toList();
            assertEquals(all.subList(0, 100), small.train().stream().filter(e -> e.kind() == kind).toList());
        }
        assertEquals(40, small.validation().size());
        assertEquals(40, small.test().size());
    }

    private static InstructionExample find(List<InstructionExample> examples, String word, InstructionKind kind,
            String pos) {
        return examples.stream()
                .filter(e -> e.word().equals(word) && e.kind() == kind && e.instruction().contains(pos))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " example of " + word));
    }
}
