package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The documented sizes of every built-in task, on the real data. */
class DatasetsIT {

    private static String sizes(Split split) {
        return Arrays.toString(split.train().labelCounts()) + " " + Arrays.toString(split.validation().labelCounts())
                + " " + Arrays.toString(split.test().labelCounts());
    }

    @Test
    void documentedSplitSizes() throws IOException {
        ArtifactCache cache = ArtifactCache.defaultCache();
        Split spam = Datasets.byName("spam", cache, 42);
        assertEquals("[3320, 1517] [415, 189] [415, 190]", sizes(spam));
        assertEquals(spam.test().examples(), Datasets.byName("SPAM", cache, 42).test().examples());
        assertEquals("[1306, 93] [145, 10] [547, 57]", sizes(Datasets.byName("reuters-grain", cache, 42)));
        assertEquals("[1358, 41] [151, 4] [580, 24]", sizes(Datasets.byName("reuters-corn", cache, 7)));
        TabularDataset.checkLabelsCovered(Datasets.byName("reuters-corn", cache, 7));
    }
}
