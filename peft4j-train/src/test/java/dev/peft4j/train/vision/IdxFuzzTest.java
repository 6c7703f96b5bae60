package dev.peft4j.train.vision;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of small valid IDX image and label files, plain and gzipped (bit flips, truncations,
 * insertions, header ints set to boundary values): the reader returns the data or throws its documented
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
        byte[] images = idx(Idx.IMAGES_MAGIC, new int[] {5, 4, 3}, body);
        Reader reader = file -> Idx.readImages(file, 5, 4, 3);
        fuzz(images, reader, new Random(11));
        fuzz(gzip(images), reader, new Random(12));
    }

    @Test
    void mutatedLabelFilesReadOrFailWithIoExceptionOnly() throws IOException {
        byte[] labels = idx(Idx.LABELS_MAGIC, new int[] {6}, new byte[] {0, 1, 2, 3, 4, 5});
        Reader reader = file -> Idx.readLabels(file, 6, 10);
        fuzz(labels, reader, new Random(13));
        fuzz(gzip(labels), reader, new Random(14));
    }

    private void fuzz(byte[] valid, Reader reader, Random rng) throws IOException {
        Path file = dir.resolve("f.idx");
        assertTimeoutPreemptively(BUDGET.multipliedBy(5), () -> {
            long deadline = System.nanoTime() + BUDGET.toNanos();
            for (int i = 0; i < MUTATIONS && System.nanoTime() < deadline; i++) {
                byte[] mutated = mutate(valid, rng);
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

    private static byte[] mutate(byte[] valid, Random rng) {
        byte[] out = valid.clone();
        for (int edit = 1 + rng.nextInt(3); edit > 0; edit--) {
            if (out.length == 0) {
                return new byte[] {(byte) rng.nextInt()};
            }
            int at = rng.nextInt(out.length);
            switch (rng.nextInt(4)) {
                case 0 -> out[at] ^= (byte) (1 << rng.nextInt(8));
                case 1 -> out = Arrays.copyOf(out, at);
                case 2 -> {
                    byte[] longer = new byte[out.length + 1 + rng.nextInt(8)];
                    System.arraycopy(out, 0, longer, 0, at);
                    System.arraycopy(out, at, longer, longer.length - (out.length - at), out.length - at);
                    out = longer;
                }
                default -> {
                    int[] values = {0, -1, Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 30, out.length};
                    int value = values[rng.nextInt(values.length)];
                    int header = Math.min(out.length, 16) / 4 * 4; // one of the header ints
                    int field = header == 0 ? 0 : rng.nextInt(header / 4) * 4;
                    for (int b = 0; b < 4 && field + b < out.length; b++) {
                        out[field + b] = (byte) (value >>> (24 - 8 * b));
                    }
                }
            }
        }
        return out;
    }

    private static byte[] idx(int magic, int[] dims, byte[] body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(body);
        }
        return bytes.toByteArray();
    }

    private static byte[] gzip(byte[] content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bytes)) {
            out.write(content);
        }
        return bytes.toByteArray();
    }
}
