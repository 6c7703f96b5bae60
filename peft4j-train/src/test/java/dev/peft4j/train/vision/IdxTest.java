package dev.peft4j.train.vision;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX files made here byte by byte: good ones read back, damaged ones fail with file, expected and found. */
class IdxTest {

    @TempDir
    Path temp;

    /** An IDX file: big-endian magic, dimensions, then the body (shared with {@link IdxFuzzTest}). */
    static byte[] idx(int magic, int[] dims, byte[] body) throws IOException {
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

    private static byte[] images(int count) throws IOException {
        byte[] body = new byte[count * 4 * 3];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 7); // wraps past 127: pixels are unsigned
        }
        return idx(Idx.IMAGES_MAGIC, new int[] {count, 4, 3}, body);
    }

    private Path write(String name, byte[] content) throws IOException {
        Path file = temp.resolve(name);
        Files.write(file, content);
        return file;
    }

    private Path gzip(String name, byte[] content) throws IOException {
        Path file = temp.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
            out.write(content);
        }
        return file;
    }

    @Test
    void readsPlainAndGzippedFilesAlike() throws IOException {
        Idx.Images plain = Idx.readImages(write("a-idx3-ubyte", images(5)), 5, 4, 3);
        Idx.Images zipped = Idx.readImages(gzip("a-idx3-ubyte.gz", images(5)), 5, 4, 3);
        assertEquals(5, plain.count());
        assertArrayEquals(plain.pixels(), zipped.pixels());
        assertEquals(12, plain.image(1).length);
        assertEquals((byte) (12 * 7), plain.image(1)[0]);
        int[] labels = Idx.readLabels(gzip("l.gz", idx(Idx.LABELS_MAGIC, new int[] {4}, new byte[] {0, 9, 3, 1})),
                4, 10);
        assertArrayEquals(new int[] {0, 9, 3, 1}, labels);
    }

    @Test
    void aTruncatedFileSaysHowMuchIsMissing() throws IOException {
        byte[] whole = images(5);
        Path file = gzip("cut.gz", Arrays.copyOf(whole, whole.length - 10));
        IOException e = assertThrows(IOException.class, () -> Idx.readImages(file, 5, 4, 3));
        assertEquals(file + ": truncated: the header announces 60 pixel bytes, found only 50; delete the cached "
                + "package folder and retry", e.getMessage());
    }

    @Test
    void swappedImagesAndLabelsAreNamed() throws IOException {
        Path labels = write("labels", idx(Idx.LABELS_MAGIC, new int[] {2}, new byte[] {1, 2}));
        IOException e = assertThrows(IOException.class, () -> Idx.readImages(labels, 2, 4, 3));
        assertEquals(labels + ": expected an IDX images file (magic 0x00000803), found magic 0x00000801; images and "
                + "labels are swapped", e.getMessage());
    }

    @Test
    void anotherKindOfFileIsRejected() throws IOException {
        Path text = write("readme", "hello world, not idx".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        IOException e = assertThrows(IOException.class, () -> Idx.readLabels(text, 2, 10));
        assertTrue(e.getMessage().contains("expected an IDX labels file (magic 0x00000801), found magic 0x68656c6c; "
                + "this is not an IDX labels file"), e.getMessage());
        Path tiny = write("tiny", new byte[] {0, 0});
        IOException short4 = assertThrows(IOException.class, () -> Idx.readLabels(tiny, 2, 10));
        assertTrue(short4.getMessage().contains("found fewer than 4 bytes; the file is truncated"), short4.getMessage());
    }

    @Test
    void wrongCountsAndSizesAreErrors() throws IOException {
        Path file = write("images", images(5));
        IOException count = assertThrows(IOException.class, () -> Idx.readImages(file, 6, 4, 3));
        assertEquals(file + ": expected 6 images of 4 x 3 pixels, the header says 5 of 4 x 3; is this the right file "
                + "of the data set?", count.getMessage());
        assertThrows(IOException.class, () -> Idx.readImages(file, 5, 28, 28));
        byte[] longer = Arrays.copyOf(images(5), images(5).length + 3);
        Path extra = write("longer", longer);
        IOException trailing = assertThrows(IOException.class, () -> Idx.readImages(extra, 5, 4, 3));
        assertTrue(trailing.getMessage().contains("60 pixel bytes expected after the header, found more"),
                trailing.getMessage());
    }

    @Test
    void labelsOutsideTheClassesAreErrors() throws IOException {
        Path file = write("labels", idx(Idx.LABELS_MAGIC, new int[] {3}, new byte[] {1, (byte) 200, 2}));
        IOException e = assertThrows(IOException.class, () -> Idx.readLabels(file, 3, 10));
        assertEquals(file + ": label 1 is 200, expected a class in [0, 10); the file is damaged or belongs to another "
                + "data set", e.getMessage());
    }

    @Test
    void aMissingFileSaysSo() {
        Path missing = temp.resolve("nope.gz");
        IOException e = assertThrows(IOException.class, () -> Idx.readLabels(missing, 3, 10));
        assertTrue(e.getMessage().startsWith("IDX file " + missing + " does not exist"), e.getMessage());
    }
}
