package dev.peft4j.models.dit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped DiT's files come out of the jar once, whole, and its id names it. */
class PretrainedDitTest {

    @TempDir
    Path root;

    @Test
    void theShippedIdResolvesToOneWholeCopyAndADirectoryToItself() throws IOException {
        Path dir = PretrainedDit.resolve("dit-fashion-mnist", root);
        assertEquals(root.resolve("shipped/dit-fashion-mnist"), dir);
        for (String name : PretrainedDit.FILES) {
            assertTrue(Files.size(dir.resolve(name)) > 0, name);
        }
        long modified = Files.getLastModifiedTime(dir.resolve(DitWeights.WEIGHTS_FILE)).toMillis();
        assertEquals(dir, PretrainedDit.resolve("dit-fashion-mnist", root));
        assertEquals(modified, Files.getLastModifiedTime(dir.resolve(DitWeights.WEIGHTS_FILE)).toMillis(),
                "the second resolve reuses the copy");
        try (var entries = Files.list(dir.getParent())) {
            assertEquals(1, entries.count(), "no partial copy is left beside it");
        }
        assertEquals(dir, PretrainedDit.resolve(dir.toString(), root));
    }

    @Test
    void anIncompleteCopyOrAMissingDirectoryIsRefusedSayingWhatToDo() throws IOException {
        Path dir = PretrainedDit.resolve("dit-fashion-mnist", root);
        Files.delete(dir.resolve(DitWeights.WEIGHTS_FILE));
        IOException broken = assertThrows(IOException.class, () -> PretrainedDit.resolve("dit-fashion-mnist", root));
        assertTrue(broken.getMessage().contains("delete that directory and it is copied again"), broken.getMessage());
        IOException missing = assertThrows(IOException.class,
                () -> PretrainedDit.resolve(root.resolve("nowhere").toString(), root));
        assertTrue(missing.getMessage().contains("is neither a shipped DiT [dit-fashion-mnist] nor a directory"),
                missing.getMessage());
    }

    @Test
    void theLoadedModelIsNamedByItsIdAndHasTheRecordedShape() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                DitModel model = PretrainedDit.load(PretrainedDit.Checkpoint.FASHION_MNIST, manager)) {
            assertEquals("dit-fashion-mnist", model.baseModelNameOrPath());
            assertEquals(10, model.config().numClasses()); // 8 trained classes + 2 spare rows
            assertEquals(128, model.config().hiddenSize());
        }
    }
}
