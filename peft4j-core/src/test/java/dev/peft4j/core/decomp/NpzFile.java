package dev.peft4j.core.decomp;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Test-only reader for NumPy {@code .npz} archives of C-order, little-endian {@code .npy} arrays ({@code <f4},
 * {@code <f8}, {@code <i8}, {@code <U*}), enough for the golden cases made by the reference Python code.
 */
public final class NpzFile {

    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern ORDER = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    /** One array: its dtype string, shape and little-endian payload. */
    record Array(String descr, int[] shape, ByteBuffer data) {
        int size() {
            int size = 1;
            for (int dim : shape) {
                size *= dim;
            }
            return size;
        }
    }

    private final String name;
    private final Map<String, Array> arrays;

    private NpzFile(String name, Map<String, Array> arrays) {
        this.name = name;
        this.arrays = arrays;
    }

    /** Reads {@code resource} from the test class path, e.g. {@code /golden/loldu/x.npz}. */
    public static NpzFile resource(String resource) {
        try (InputStream in = NpzFile.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("No test resource " + resource + "; copy it from /work/shared");
            }
            Map<String, Array> arrays = new HashMap<>();
            try (ZipInputStream zip = new ZipInputStream(in)) {
                for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                    String key = entry.getName().replaceFirst("\\.npy$", "");
                    arrays.put(key, parseNpy(resource + ":" + key, zip.readAllBytes()));
                }
            }
            return new NpzFile(resource, arrays);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + resource, e);
        }
    }

    public int[] shape(String key) {
        return get(key).shape().clone();
    }

    public float[] floats(String key) {
        Array a = expect(key, "<f4");
        float[] out = new float[a.size()];
        a.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    public float scalar(String key) {
        return floats(key)[0];
    }

    long[] longs(String key) {
        Array a = expect(key, "<i8");
        long[] out = new long[a.size()];
        a.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    /** A NumPy unicode scalar ({@code <U*}, UTF-32LE). */
    String string(String key) {
        Array a = get(key);
        if (!a.descr().startsWith("<U")) {
            throw new IllegalArgumentException(name + ":" + key + " is " + a.descr() + ", expected a <U string");
        }
        ByteBuffer data = a.data().duplicate();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        return new String(bytes, Charset.forName("UTF-32LE")).replace("\0", "");
    }

    private Array expect(String key, String descr) {
        Array a = get(key);
        if (!a.descr().equals(descr)) {
            throw new IllegalArgumentException(name + ":" + key + " has dtype " + a.descr() + ", expected " + descr);
        }
        return a;
    }

    private Array get(String key) {
        Array a = arrays.get(key);
        if (a == null) {
            throw new IllegalArgumentException(name + " has no array '" + key + "'; it has " + arrays.keySet());
        }
        return a;
    }

    private static Array parseNpy(String where, byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10 || (bytes[0] & 0xff) != 0x93 || bytes[1] != 'N' || bytes[2] != 'U') {
            throw new IllegalArgumentException(where + " is not a .npy array (bad magic)");
        }
        int major = bytes[6];
        int headerLength = major == 1 ? Short.toUnsignedInt(buf.getShort(8)) : buf.getInt(8);
        int headerStart = major == 1 ? 10 : 12;
        String header = new String(bytes, headerStart, headerLength, StandardCharsets.ISO_8859_1);
        if (find(ORDER, header, where).equals("True")) {
            throw new IllegalArgumentException(where + " is Fortran-ordered; only C order is supported");
        }
        String dims = find(SHAPE, header, where).trim();
        int[] shape = dims.isEmpty() ? new int[0]
                : Arrays.stream(dims.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                        .mapToInt(Integer::parseInt).toArray();
        ByteBuffer data = ByteBuffer.wrap(bytes, headerStart + headerLength, bytes.length - headerStart - headerLength)
                .slice();
        return new Array(find(DESCR, header, where), shape, data);
    }

    private static String find(Pattern pattern, String header, String where) {
        Matcher match = pattern.matcher(header);
        if (!match.find()) {
            throw new IllegalArgumentException(where + ": .npy header lacks " + pattern + ": " + header);
        }
        return match.group(1);
    }
}
