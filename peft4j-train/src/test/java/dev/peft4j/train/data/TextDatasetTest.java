package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TextDatasetTest {

    /** 4,150 label-0 and 1,896 label-1 examples, the SpamAssassin class sizes. */
    private static TextDataset spamSized() {
        List<TextExample> examples = new ArrayList<>();
        for (int i = 0; i < 6046; i++) {
            examples.add(new TextExample("e" + i, i < 4150 ? 0 : 1));
        }
        return new TextDataset(examples, List.of("ham", "spam"));
    }

    @Test
    void splitIsStratifiedWithDocumentedSizes() {
        Split split = spamSized().split(0.8, 0.1, 0.1, 42);
        assertEquals("[3320, 1517]", Arrays.toString(split.train().labelCounts()));
        assertEquals("[415, 189]", Arrays.toString(split.validation().labelCounts()));
        assertEquals("[415, 190]", Arrays.toString(split.test().labelCounts()));
        assertEquals("Split[train=4837, validation=604, test=605, labels=[ham, spam]]", split.toString());
    }

    @Test
    void splitIsAPartitionAndDeterministic() {
        TextDataset data = spamSized();
        Split a = data.split(0.8, 0.1, 0.1, 42);
        Split b = data.split(0.8, 0.1, 0.1, 42);
        Split c = data.split(0.8, 0.1, 0.1, 43);
        assertEquals(a.train().examples(), b.train().examples());
        assertEquals(a.test().examples(), b.test().examples());
        assertNotEquals(a.train().examples(), c.train().examples());
        Set<TextExample> all = new HashSet<>(a.train().examples());
        all.addAll(a.validation().examples());
        all.addAll(a.test().examples());
        assertEquals(6046, all.size());
        // labels are interleaved, not all ham first
        assertTrue(a.train().examples().subList(0, 50).stream().anyMatch(e -> e.label() == 1));
    }

    @Test
    void smallClassesStillAddUp() {
        List<TextExample> examples = new ArrayList<>();
        for (int i = 0; i < 45; i++) {
            examples.add(new TextExample("p" + i, 1));
        }
        examples.add(new TextExample("n", 0));
        Split split = new TextDataset(examples, List.of("other", "corn")).split(0.9, 0.1, 0, 1);
        assertEquals("[1, 41]", Arrays.toString(split.train().labelCounts()));
        assertEquals("[0, 4]", Arrays.toString(split.validation().labelCounts()));
        assertEquals(0, split.test().size());
    }

    @Test
    void badFractionsAndLabelsAreRejected() {
        TextDataset data = spamSized();
        IllegalArgumentException sum = assertThrows(IllegalArgumentException.class,
                () -> data.split(0.8, 0.1, 0.2, 1));
        assertTrue(sum.getMessage().contains("must add up to 1"), sum.getMessage());
        assertThrows(IllegalArgumentException.class, () -> data.split(1.2, -0.1, -0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> data.split(Double.NaN, 0.5, 0.5, 1));
        IllegalArgumentException label = assertThrows(IllegalArgumentException.class,
                () -> new TextDataset(List.of(new TextExample("x", 2)), List.of("a", "b")));
        assertEquals("Example 0 has label 2 but only 2 label names are given: [a, b]", label.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TextExample(null, 0));
        assertThrows(IllegalArgumentException.class, () -> new TextExample("x", -1));
        assertThrows(IllegalArgumentException.class, () -> new Split(data, data,
                new TextDataset(List.of(), List.of("x", "y"))));
    }
}
