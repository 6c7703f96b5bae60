package dev.peft4j.train.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Class filtering, subsets, splits and normalisation on small made-up data sets. */
class ImageDataTest {

    private static ImageDataset dataset(int perClass) {
        List<ImageExample> examples = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            for (int i = 0; i < perClass; i++) {
                examples.add(new ImageExample(new byte[] {(byte) c, (byte) i, 0, (byte) 255}, c));
            }
        }
        return new ImageDataset(examples, List.of("a", "b", "c", "d"), 2, 2);
    }

    @Test
    void withClassesKeepsAndRelabelsInTheGivenOrder() {
        ImageDataset heldOut = dataset(3).withClasses(3, 1);
        assertEquals(List.of("d", "b"), heldOut.labelNames());
        assertEquals(6, heldOut.size());
        assertArrayEquals(new int[] {3, 3}, heldOut.labelCounts());
        // old class 1 comes first in the data (its pixel 0 holds the old class) but is new label 1
        assertEquals(1, heldOut.examples().get(0).pixels()[0]);
        assertEquals(1, heldOut.examples().get(0).label());
        assertEquals(0, heldOut.examples().get(3).label());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dataset(1).withClasses(1, 1));
        assertEquals("Classes must be distinct and in [0, 4), found [1, 1]", e.getMessage());
    }

    @Test
    void splitAndSampleAreSeededPartitions() {
        ImageDataset data = dataset(10);
        List<ImageDataset> parts = data.split(8, 42);
        assertEquals(8, parts.get(0).size());
        assertEquals(32, parts.get(1).size());
        assertEquals(parts.get(0).examples(), data.split(8, 42).get(0).examples());
        assertNotEquals(parts.get(0).examples(), data.split(8, 43).get(0).examples());
        assertEquals(5, data.sample(5, 1).size());
        assertEquals(data, data.sample(0, 1));
    }

    @Test
    void normalizationIsMeanAndStdOnTheUnitScale() {
        ImageDataset data = new ImageDataset(List.of(new ImageExample(new byte[] {0, (byte) 255}, 0)), List.of("x"),
                1, 2);
        Normalization n = Normalization.of(data);
        // plain Java arithmetic (IEEE, the same on every CPU) on {0, 1}: every step is exact, so no delta
        assertEquals(0.5f, n.mean(), 0f);
        assertEquals(0.5f, n.std(), 0f);
        assertEquals(1f, n.apply(255), 0f);
        assertEquals(-1f, n.apply(0), 0f);
    }

    @Test
    void imagesOfTheWrongSizeAreRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ImageDataset(List.of(new ImageExample(new byte[3], 0)), List.of("x"), 2, 2));
        assertEquals("Example 0 has 3 pixels, expected 2 x 2 = 4", e.getMessage());
    }
}
