package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Fetches the Debian weka package into the default cache (6.6 MB, first run only) and checks both topics. */
class ReutersIT {

    @Test
    void grainKeepsTheModApteSplitAndBalance() throws IOException {
        Reuters grain = Reuters.load(ArtifactCache.defaultCache(), "grain");
        assertEquals(1554, grain.train().size());
        assertEquals(604, grain.test().size());
        assertEquals("[1451, 103]", Arrays.toString(grain.train().labelCounts()));
        assertEquals("[547, 57]", Arrays.toString(grain.test().labelCounts()));
        assertTrue(grain.train().get(0).text().startsWith("BAHIA COCOA REVIEW Showers continued throughout the "
                + "week in the Bahia cocoa zone"), grain.train().get(0).text());
        assertTrue(grain.test().get(0).text().startsWith("ASIAN EXPORTERS FEAR DAMAGE FROM U.S.-JAPAN RIFT "
                + "Mounting trade friction between the U.S. And Japan has raised fears among many of Asia's"));
    }

    @Test
    void cornKeepsTheModApteSplitAndBalance() throws IOException {
        Reuters corn = Reuters.load(ArtifactCache.defaultCache(), "corn");
        assertEquals("[1509, 45]", Arrays.toString(corn.train().labelCounts()));
        assertEquals("[580, 24]", Arrays.toString(corn.test().labelCounts()));
        assertEquals("corn", corn.train().labelNames().get(1));
    }

    @Test
    void validationIsCarvedFromTrainOnly() throws IOException {
        Reuters grain = Reuters.load(ArtifactCache.defaultCache(), "Grain");
        Split split = grain.split(0.1, 42);
        assertEquals("[1306, 93]", Arrays.toString(split.train().labelCounts()));
        assertEquals("[145, 10]", Arrays.toString(split.validation().labelCounts()));
        assertEquals(grain.test().examples(), split.test().examples());
        assertTrue(grain.train().examples().containsAll(split.validation().examples()));
        assertEquals(split.train().examples(), grain.split(0.1, 42).train().examples());
    }
}
