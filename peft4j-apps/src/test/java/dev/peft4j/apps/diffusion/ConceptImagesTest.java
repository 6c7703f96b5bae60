package dev.peft4j.apps.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.train.vision.FashionMnist;
import dev.peft4j.train.vision.ImageExample;
import dev.peft4j.train.vision.ImageSplit;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The concept's real images on Fashion-MNIST: shots and validation from the training split, disjoint, seeded. */
class ConceptImagesTest {

    private static ImageSplit fashion;

    @BeforeAll
    static void load() throws IOException {
        fashion = FashionMnist.load(ArtifactCache.defaultCache());
    }

    @Test
    void shotsAndValidationAreDistinctTrainingImagesOfTheConceptUnderItsSpareRow() {
        ConceptImages concept = ConceptImages.of(fashion, 9, 8, 5, 40, 100, 7);
        assertEquals(5, concept.shots().size());
        assertEquals(40, concept.validation().size());
        assertEquals(100, concept.test().size());
        Set<ByteBuffer> train = pixels(fashion.train().withClasses(9).examples());
        Set<ByteBuffer> test = pixels(fashion.test().withClasses(9).examples());
        Set<ByteBuffer> shots = pixels(concept.shots());
        for (ImageExample e : concept.shots()) {
            assertTrue(train.contains(ByteBuffer.wrap(e.pixels())), "a shot from the training split");
            assertEquals(8, e.label());
        }
        for (ImageExample e : concept.validation()) {
            assertTrue(train.contains(ByteBuffer.wrap(e.pixels())), "validation from the training split");
            assertFalse(shots.contains(ByteBuffer.wrap(e.pixels())), "a validation image is never a shot");
        }
        for (ImageExample e : concept.test()) {
            assertTrue(test.contains(ByteBuffer.wrap(e.pixels())), "test images from the test split");
        }
        assertEquals(pixels(concept.shots()), pixels(ConceptImages.of(fashion, 9, 8, 5, 40, 100, 7).shots()));
        assertNotEquals(pixels(concept.shots()), pixels(ConceptImages.of(fashion, 9, 8, 5, 40, 100, 8).shots()));
    }

    @Test
    void tooManyImagesAreRefusedWithTheCount() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConceptImages.of(fashion, 9, 8, 5, 6000, 0, 1));
        assertTrue(e.getMessage().contains("need 6005 training images of Ankle boot, but the data set has 6000"),
                e.getMessage());
    }

    private static Set<ByteBuffer> pixels(List<ImageExample> images) {
        Set<ByteBuffer> set = new HashSet<>();
        images.forEach(e -> set.add(ByteBuffer.wrap(e.pixels())));
        return set;
    }
}
