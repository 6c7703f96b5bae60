package dev.peft4j.train.vision;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX files of MNIST and Fashion-MNIST (LeCun's format: a big-endian magic {@code 0x00000803} for
 * unsigned-byte 3-D image arrays or {@code 0x00000801} for 1-D label arrays, then one big-endian int per
 * dimension, then the bytes), plain or gzipped (detected by the gzip magic, not by the name).
 *
 * <p>Strict on purpose: a cached download that was cut short or a file of the wrong kind would otherwise train on
 * garbage. Every error names the file, what was expected and what was found.
 */
public final class Idx {

    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private Idx() {
    }

    /**
     * Images as {@code count} rows of {@code rows * cols} bytes (row-major, 0 = background).
     *
     * @param pixels {@code count * rows * cols} unsigned bytes
     */
    public record Images(int count, int rows, int cols, byte[] pixels) {

        /** Bytes of image {@code index}: a copy of its {@code rows * cols} pixels. */
        public byte[] image(int index) {
            int size = rows * cols;
            byte[] one = new byte[size];
            System.arraycopy(pixels, index * size, one, 0, size);
            return one;
        }
    }

    /** An image file holding exactly {@code expectedCount} images of {@code expectedRows x expectedCols}. */
    public static Images readImages(Path file, int expectedCount, int expectedRows, int expectedCols)
            throws IOException {
        try (DataInputStream in = open(file)) {
            requireMagic(file, in, IMAGES_MAGIC, "images");
            int count = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            if (count != expectedCount || rows != expectedRows || cols != expectedCols) {
                throw new IOException(file + ": expected " + expectedCount + " images of " + expectedRows + " x "
                        + expectedCols + " pixels, the header says " + count + " of " + rows + " x " + cols
                        + "; is this the right file of the data set?");
            }
            byte[] pixels = new byte[Math.multiplyExact(count, Math.multiplyExact(rows, cols))];
            readBody(file, in, pixels, "pixel");
            return new Images(count, rows, cols, pixels);
        }
    }

    /** A label file holding exactly {@code expectedCount} labels, each in {@code [0, numLabels)}. */
    public static int[] readLabels(Path file, int expectedCount, int numLabels) throws IOException {
        try (DataInputStream in = open(file)) {
            requireMagic(file, in, LABELS_MAGIC, "labels");
            int count = in.readInt();
            if (count != expectedCount) {
                throw new IOException(file + ": expected " + expectedCount + " labels, the header says " + count
                        + "; is this the right file of the data set?");
            }
            byte[] bytes = new byte[count];
            readBody(file, in, bytes, "label");
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = Byte.toUnsignedInt(bytes[i]);
                if (labels[i] >= numLabels) {
                    throw new IOException(file + ": label " + i + " is " + labels[i] + ", expected a class in [0, "
                            + numLabels + "); the file is damaged or belongs to another data set");
                }
            }
            return labels;
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("IDX file " + file + " does not exist; delete the cached package folder and "
                    + "retry so that it is fetched again");
        }
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        raw.mark(2);
        int b0 = raw.read();
        int b1 = raw.read();
        raw.reset();
        boolean gzip = b0 == 0x1f && b1 == 0x8b;
        return new DataInputStream(gzip ? new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16) : raw);
    }

    private static void requireMagic(Path file, DataInputStream in, int magic, String kind) throws IOException {
        int found;
        try {
            found = in.readInt();
        } catch (EOFException e) {
            throw new IOException(file + ": expected an IDX " + kind + " file starting with magic "
                    + hex(magic) + ", found fewer than 4 bytes; the file is truncated", e);
        }
        if (found != magic) {
            throw new IOException(file + ": expected an IDX " + kind + " file (magic " + hex(magic) + "), found magic "
                    + hex(found) + (found == IMAGES_MAGIC || found == LABELS_MAGIC
                            ? "; images and labels are swapped" : "; this is not an IDX " + kind + " file"));
        }
    }

    private static void readBody(Path file, DataInputStream in, byte[] into, String what) throws IOException {
        int read = 0;
        while (read < into.length) {
            int n = in.read(into, read, into.length - read);
            if (n < 0) {
                throw new IOException(file + ": truncated: the header announces " + into.length + " " + what
                        + " bytes, found only " + read + "; delete the cached package folder and retry");
            }
            read += n;
        }
        if (in.read() >= 0) {
            throw new IOException(file + ": " + into.length + " " + what + " bytes expected after the header, found "
                    + "more; the file does not match its own header");
        }
    }

    private static String hex(int value) {
        return String.format("0x%08x", value);
    }
}
