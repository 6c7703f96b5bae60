package dev.peft4j.train.vision;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import dev.peft4j.core.io.ByteMutator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations ({@link ByteMutator}, shared with core's fuzz tests) of small valid IDX image and label files, plain
 * and gzipped (bit flips, truncations, insertions and deletions, header ints set to boundary values): the reader returns the data or throws its documented
 * IOException; any other exception, an OOM or a hang fails the test.
 */
class IdxFuzzTest {

    private static final int MUTATIONS = 2000;
    private static final Duration BUDGET = Duration.ofMillis(1500);

    @TempDir
    Path dir;

    private interface Reader {
        void read(Path file) throws IOException;
    }

    @Test
    void mutatedImageFilesReadOrFailWithIoExceptionOnly() throws IOException {
        byte[] body = new byte[5 * 4 * 3];
        Arrays.fill(body, (byte) 200);
        byte[] images = IdxTest.idx(Idx.IMAGES_MAGIC, new int[] {5, 4, 3}, body);
        Reader reader = file -> Idx.readImages(file, 5, 4, 3);
        fuzz(images, reader, new ByteMutator(11));
        fuzz(gzip(images), reader, new ByteMutator(12));
    }

    @Test
    void mutatedLabelFilesReadOrFailWithIoExceptionOnly() throws IOException {
        byte[] labels = IdxTest.idx(Idx.LABELS_MAGIC, new int[] {6}, new byte[] {0, 1, 2, 3, 4, 5});
        Reader reader = file -> Idx.readLabels(file, 6, 10);
        fuzz(labels, reader, new ByteMutator(13));
        fuzz(gzip(labels), reader, new ByteMutator(14));
    }

    private void fuzz(byte[] valid, Reader reader, ByteMutator mutator) throws IOException {
        Path file = dir.resolve("f.idx");
        assertTimeoutPreemptively(BUDGET.multipliedBy(5), () -> {
            long deadline = System.nanoTime() + BUDGET.toNanos();
            for (int i = 0; i < MUTATIONS && System.nanoTime() < deadline; i++) {
                byte[] mutated = mutator.mutate(valid);
                Files.write(file, mutated);
                try {
                    reader.read(file);
                } catch (IOException expected) {
                    // the documented failure
                } catch (RuntimeException | Error e) {
                    fail("mutation " + i + " (" + mutated.length + " bytes) threw " + e, e);
                }
            }
        });
    }



    private static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(content);
        }
        return bytes.toByteArray();
    }
}
