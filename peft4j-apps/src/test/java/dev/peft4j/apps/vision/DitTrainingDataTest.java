package dev.peft4j.apps.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.train.vision.FashionMnist;
import dev.peft4j.train.vision.ImageDataset;
import dev.peft4j.train.vision.ImageExample;
import dev.peft4j.train.vision.ImageSplit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pretraining split on real Fashion-MNIST: held-out images appear nowhere, and the class table keeps spares. */
class DitTrainingDataTest {

    private static ImageSplit fashion;

    @BeforeAll
    static void load() throws IOException {
        fashion = FashionMnist.load(ArtifactCache.defaultCache());
    }

    @Test
    void heldOutImagesAreInNoSplitAndEachGetsASpareRow() {
        DitTrainingData data = DitTrainingData.of(fashion, new int[] {9, 2}, 500, 0, 0, 3);
        assertArrayEquals(new int[] {0, 1, 3, 4, 5, 6, 7, 8}, data.trainedClasses());
        assertEquals(10, data.classTable().size()); // 8 trained + 2 spares; the DiT's null class is label 10
        assertEquals("Ankle boot" + DitTrainingData.SPARE, data.classTable().get(8));
        assertEquals("Pullover" + DitTrainingData.SPARE, data.classTable().get(9));
        assertEquals("Coat", data.classTable().get(3));
        Set<ByteBuffer> heldOut = pixels(fashion.train().withClasses(9, 2));
        heldOut.addAll(pixels(fashion.test().withClasses(9, 2)));
        for (ImageDataset part : List.of(data.train(), data.validation(), data.test())) {
            for (ImageExample e : part.examples()) {
                assertTrue(e.label() < data.trainedLabels(), "a spare label was trained: " + e.label());
                // by pixels, not labels: a copy of a held-out image under another label would be caught too
                assertFalse(heldOut.contains(ByteBuffer.wrap(e.pixels())), "a held-out image in " + part);
            }
        }
        // every trained image is kept: 8 classes x 6,000 training images, 500 of them for validation
        assertEquals(8 * 6000 - 500, data.train().size());
        assertEquals(8 * 1000, data.test().size());
    }

    @Test
    void subsetsAreSeededAndBadHoldOutsAreRefused() {
        DitTrainingData a = DitTrainingData.of(fashion, new int[] {9}, 100, 300, 50, 7);
        DitTrainingData b = DitTrainingData.of(fashion, new int[] {9}, 100, 300, 50, 7);
        assertEquals(300, a.train().size());
        assertEquals(50, a.test().size());
        assertEquals(pixels(a.train()), pixels(b.train()));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> DitTrainingData.of(fashion, new int[] {10}, 100, 0, 0, 7)).getMessage()
                .contains("Held-out classes must be distinct and in [0, 10), found [10]"));
        assertThrows(IllegalArgumentException.class, () -> DitTrainingData.of(fashion, new int[] {3, 3}, 100, 0, 0, 7));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DitTrainingData.of(fashion,
                new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 100, 0, 0, 7)).getMessage().contains("nothing to train"));
    }

    private static Set<ByteBuffer> pixels(ImageDataset data) {
        Set<ByteBuffer> set = new HashSet<>();
        data.examples().forEach(e -> set.add(ByteBuffer.wrap(e.pixels())));
        return set;
    }
}
