package dev.peft4j.train.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.peft4j.train.vision.ImageExample;
import java.util.List;
import org.junit.jupiter.api.Test;

class DiffusionImagesTest {

    @Test
    void everyPixelSurvivesTheRoundTripThroughTheModelRange() {
        byte[] pixels = new byte[4 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 17); // 0, 17, ..., 255
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            List<ImageExample> back = DiffusionImages.toExamples(DiffusionImages.toTensor(
                    List.of(new ImageExample(pixels, 0)), 4, manager), 3);
            assertEquals(1, back.size());
            assertEquals(3, back.get(0).label());
            // p / 127.5 - 1 is within float rounding of the exact value, and rounding (v + 1) 127.5 recovers p
            assertArrayEquals(pixels, back.get(0).pixels());
        }
    }
}
