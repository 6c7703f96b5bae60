package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {

    @TempDir
    Path dir;

    @Test
    void unknownNamesListTheAcceptedOnes() {
        ArtifactCache cache = new ArtifactCache(dir);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Datasets.byName("sst2", cache, 42));
        assertEquals("Unknown data set 'sst2'; accepted names are [spam, reuters-grain, reuters-corn] (or load "
                + "your own file with TabularDataset.load)", e.getMessage());
        IllegalArgumentException topic = assertThrows(IllegalArgumentException.class,
                () -> Reuters.load(cache, "wheat"));
        assertEquals("Unknown Reuters topic 'wheat'; the weka package has [grain, corn]", topic.getMessage());
    }

    @Test
    void spamGroupsMapToLabels() throws IOException {
        Path data = dir.resolve("data");
        assertEquals(SpamAssassin.HAM, SpamAssassin.labelOf("easy-ham-2", data));
        assertEquals(SpamAssassin.HAM, SpamAssassin.labelOf("hard-ham-1", data));
        assertEquals(SpamAssassin.SPAM, SpamAssassin.labelOf("spam-2", data));
        IOException e = assertThrows(IOException.class, () -> SpamAssassin.labelOf("unsorted", data));
        assertTrue(e.getMessage().contains("Unexpected group folder 'unsorted'"), e.getMessage());
    }

    @Test
    void damagedSpamPackageIsReportedWithCounts() throws IOException {
        Path group = Files.createDirectories(dir.resolve("package/data/spam-1"));
        Files.writeString(group.resolve("00001.abc.txt"), "Subject: win\n\nmoney\n");
        Files.writeString(group.resolve("00001.abc.json"), "{}");
        IOException e = assertThrows(IOException.class, () -> SpamAssassin.fromPackage(dir.resolve("package")));
        assertTrue(e.getMessage().contains("Expected 4150 ham and 1896 spam e-mails in " + dir.resolve("package/data")
                + ", found 0 and 1"), e.getMessage());
    }
}
