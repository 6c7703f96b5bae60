package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsEveryTensorAndTheMetadata() throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        float[] lowerPermuted = new float[12 * 3]; // [m, r] = [12, 3]
        for (int i = 0; i < lowerPermuted.length; i++) {
            lowerPermuted[i] = (float) Math.sin(i) * 1e-3f * (i - 17);
        }
        tensors.put("base_model.model.encoder.layer.0.attention.self.query.loldu_L", TensorData.ofFloats(
                new long[] {12, 3}, lowerPermuted));
        tensors.put("base_model.model.encoder.layer.0.attention.self.query.loldu_z", TensorData.ofFloats(
                new long[] {3}, new float[] {-1.5f, Float.MIN_VALUE, 3.4028235e38f}));
        tensors.put("base_model.model.encoder.layer.0.attention.self.query.loldu_sigma", TensorData.ofFloats(
                new long[] {}, new float[] {0.125f}));
        tensors.put("pivot", TensorData.ofLongs(new long[] {5}, new long[] {4, 0, Long.MIN_VALUE, Long.MAX_VALUE, 2}));
        tensors.put("empty", TensorData.ofFloats(new long[] {0, 7}, new float[0]));
        Map<String, String> metadata = Map.of("format", "pt", "peft4j.sha256", "ab".repeat(32),
                "note", "ünïcödé \"q\"");
        Path file = dir.resolve("adapter_model.safetensors");

        SafeTensors.write(file, tensors, metadata);
        SafeTensors.Loaded loaded = SafeTensors.read(file);

        assertEquals(tensors.keySet(), loaded.tensors().keySet());
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            assertEquals(e.getValue(), loaded.tensors().get(e.getKey()), e.getKey());
        }
        assertArrayEquals(lowerPermuted, loaded.tensors().get(
                "base_model.model.encoder.layer.0.attention.self.query.loldu_L").asFloats());
        assertArrayEquals(new long[] {4, 0, Long.MIN_VALUE, Long.MAX_VALUE, 2},
                loaded.tensors().get("pivot").asLongs());
        assertEquals(1, loaded.tensors().get("base_model.model.encoder.layer.0.attention.self.query.loldu_sigma")
                .elementCount());
        assertEquals(0, loaded.tensors().get("empty").elementCount());
        assertEquals(metadata, loaded.metadata());
        assertEquals(0, (Files.size(file) - 8 - headerLength(file)) % 4, "data length is whole floats");
        assertEquals(0, headerLength(file) % 8, "header padded to a multiple of 8");
    }

    // Byte vectors produced by Python's reference implementation (huggingface/safetensors,
    // safetensors/src/tensor.rs, tests test_serialization_forced_alignement, test_serialization and
    // test_empty). Writing the same tensors must give the same bytes, and reading them must work.

    private static final int[] REFERENCE_ATTN0 = {
        72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
        121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
        91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
        115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
        32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
        160, 64};

    private static final int[] REFERENCE_ATTN_DOT_0 = {
        64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
        116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
        58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
        101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
        0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64};

    private static final int[] REFERENCE_EMPTY = {8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32};

    private static final int[] REFERENCE_EMPTY_WITH_METADATA = {
        40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95,
        95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34, 58, 34, 112,
        116, 34, 125, 125, 32, 32, 32, 32, 32};

    @Test
    void writesTheSameBytesAsPythonsReferenceImplementation() throws IOException {
        float[] zeroToFive = {0, 1, 2, 3, 4, 5};
        assertWrites(REFERENCE_ATTN0, Map.of("attn0", TensorData.ofFloats(new long[] {1, 1, 2, 3}, zeroToFive)),
                Map.of());
        assertWrites(REFERENCE_ATTN_DOT_0, Map.of("attn.0", TensorData.ofFloats(new long[] {1, 2, 3}, zeroToFive)),
                Map.of());
        assertWrites(REFERENCE_EMPTY, Map.of(), Map.of());
        assertWrites(REFERENCE_EMPTY_WITH_METADATA, Map.of(), Map.of("framework", "pt"));
    }

    @Test
    void readsPythonsReferenceBytes() throws IOException {
        SafeTensors.Loaded attn0 = SafeTensors.read(file(REFERENCE_ATTN0));
        TensorData t = attn0.tensors().get("attn0");
        assertEquals("F32", t.dtype());
        assertArrayEquals(new long[] {1, 1, 2, 3}, t.shape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, t.asFloats());
        assertEquals(Map.of(), attn0.metadata());

        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5},
                SafeTensors.read(file(REFERENCE_ATTN_DOT_0)).tensors().get("attn.0").asFloats());
        assertEquals(Map.of(), SafeTensors.read(file(REFERENCE_EMPTY)).tensors());
        assertEquals(Map.of("framework", "pt"), SafeTensors.read(file(REFERENCE_EMPTY_WITH_METADATA)).metadata());
    }

    /** A file built by hand from the format description: I64 before F32, names sorted, metadata sorted. */
    @Test
    void writesAHandBuiltFileExactly() throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("weight", TensorData.ofFloats(new long[] {2, 2}, new float[] {1, 2, 3, 4}));
        tensors.put("step", TensorData.ofLongs(new long[] {}, new long[] {7}));
        tensors.put("bias", TensorData.ofFloats(new long[] {2}, new float[] {0.5f, -0.5f}));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("b", "x");

        String json = "{\"__metadata__\":{\"b\":\"x\",\"format\":\"pt\"},"
                + "\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"bias\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[16,32]}}";
        assertEquals(214, json.length());
        String header = json + "  "; // 214 + 2 = 216 = 27 x 8
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(new byte[] {(byte) 216, 0, 0, 0, 0, 0, 0, 0});
        expected.writeBytes(header.getBytes(StandardCharsets.UTF_8));
        expected.writeBytes(new byte[] {7, 0, 0, 0, 0, 0, 0, 0}); // step = 7L
        expected.writeBytes(new byte[] {0, 0, 0, 0x3F, 0, 0, 0, (byte) 0xBF}); // 0.5f, -0.5f
        expected.writeBytes(new byte[] {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0,
            (byte) 0x80, 0x40}); // 1f, 2f, 3f, 4f

        Path file = dir.resolve("hand.safetensors");
        SafeTensors.write(file, tensors, metadata);
        assertArrayEquals(expected.toByteArray(), Files.readAllBytes(file));
        assertEquals(List.of("step", "bias", "weight"), List.copyOf(SafeTensors.read(file).tensors().keySet()),
                "read keeps header order");
    }

    @Test
    void readsEveryDtypeFromHandBuiltBytes() throws IOException {
        String json = "{\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"i\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[16,24]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[6],\"data_offsets\":[24,36]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[36,42]},"
                + "\"m\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[42,44]},"
                + "\"u\":{\"dtype\":\"U8\",\"shape\":[1,1],\"data_offsets\":[44,45]}}";
        ByteBuffer data = ByteBuffer.allocate(45).order(ByteOrder.LITTLE_ENDIAN);
        data.putDouble(0.1).putDouble(-1e300);
        data.putInt(-3).putInt(Integer.MAX_VALUE);
        data.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF) // 1, -2, 65504
                .putShort((short) 0x0001).putShort((short) 0x7C00).putShort((short) 0x8000); // 2^-24, inf, -0
        data.putShort((short) 0x3F80).putShort((short) 0xBF00).putShort((short) 0x4049); // 1, -0.5, 3.140625
        data.put((byte) 1).put((byte) 0).put((byte) 200);
        Path file = file(json, data.array());

        Map<String, TensorData> t = SafeTensors.read(file).tensors();
        assertArrayEquals(new float[] {0.1f, Float.NEGATIVE_INFINITY}, t.get("d").asFloats());
        assertArrayEquals(new long[] {-3, Integer.MAX_VALUE}, t.get("i").asLongs());
        assertArrayEquals(new float[] {1f, -2f, 65504f, 5.9604645e-8f, Float.POSITIVE_INFINITY, -0f},
                t.get("h").asFloats());
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(t.get("h").asFloats()[5]));
        assertArrayEquals(new float[] {1f, -0.5f, 3.140625f}, t.get("b").asFloats());
        assertArrayEquals(new byte[] {1, 0}, t.get("m").asBytes());
        assertArrayEquals(new byte[] {(byte) 200}, t.get("u").asBytes());
        assertThrows(IllegalStateException.class, () -> t.get("u").asFloats());
        assertThrows(IllegalStateException.class, () -> t.get("d").asLongs());
    }

    @Test
    void tensorsAreLaidOutAlignedToTheirElementSize() throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("a_mask", new TensorData("U8", new long[] {3}, ByteBuffer.wrap(new byte[] {1, 2, 3})));
        tensors.put("z_floats", TensorData.ofFloats(new long[] {3}, new float[] {1, 2, 3}));
        tensors.put("m_longs", TensorData.ofLongs(new long[] {1}, new long[] {9}));
        Path file = dir.resolve("aligned.safetensors");
        SafeTensors.write(file, tensors, Map.of());

        String header = new String(Files.readAllBytes(file), 8, (int) headerLength(file), StandardCharsets.UTF_8);
        assertTrue(header.indexOf("m_longs") < header.indexOf("z_floats")
                && header.indexOf("z_floats") < header.indexOf("a_mask"), header);
        assertTrue(header.contains("\"m_longs\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}"), header);
        assertTrue(header.contains("\"z_floats\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}"), header);
        assertTrue(header.contains("\"a_mask\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[20,23]}"), header);
        assertEquals(tensors, SafeTensors.read(file).tensors());
    }

    /** Re-saving over the file that the tensors are still mapped from (edit one tensor, save in place). */
    @Test
    void rewritesAFileFromItsOwnMappedTensors() throws IOException {
        Path file = dir.resolve("adapter_model.safetensors");
        SafeTensors.write(file, Map.of("a", TensorData.ofFloats(new long[] {3}, new float[] {1, 2, 3}),
                "b", TensorData.ofFloats(new long[] {1}, new float[] {4})), Map.of("v", "1"));
        SafeTensors.Loaded first = SafeTensors.read(file);
        Map<String, TensorData> edited = new LinkedHashMap<>(first.tensors());
        edited.put("b", TensorData.ofFloats(new long[] {1}, new float[] {-4}));

        SafeTensors.write(file, edited, Map.of("v", "2"));
        SafeTensors.Loaded second = SafeTensors.read(file);

        assertArrayEquals(new float[] {1, 2, 3}, second.tensors().get("a").asFloats());
        assertArrayEquals(new float[] {-4}, second.tensors().get("b").asFloats());
        assertEquals(Map.of("v", "2"), second.metadata());
        assertArrayEquals(new float[] {4}, first.tensors().get("b").asFloats(), "old mapping still reads the old file");
    }

    @Test
    void rejectsATensorNamedLikeTheMetadata() {
        Map<String, TensorData> tensors = Map.of("__metadata__", TensorData.ofFloats(new long[] {1}, new float[] {1}));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(dir.resolve("x.safetensors"), tensors, Map.of()));
        assertTrue(e.getMessage().contains("__metadata__"), e.getMessage());
        assertEquals(0, dir.toFile().list().length, "nothing written");
    }

    /**
     * A sparse file whose data region is larger than one Java buffer (2 GiB): two 1.2 GB tensors
     * must map and read at the right offsets. Costs no disk space on file systems with holes.
     */
    @Test
    void readsFilesLargerThanTwoGibibytes() throws IOException {
        long floats = 300_000_000L; // 1.2 GB per tensor, 2.4 GB in all
        long bytes = floats * 4;
        String json = "{\"first\":{\"dtype\":\"F32\",\"shape\":[" + floats + "],\"data_offsets\":[0," + bytes + "]},"
                + "\"second\":{\"dtype\":\"F32\",\"shape\":[" + floats + "],\"data_offsets\":[" + bytes + ","
                + 2 * bytes + "]}}";
        byte[] header = pad(json);
        Path file = dir.resolve("big.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(le(header.length));
            raf.write(header);
            raf.setLength(8 + header.length + 2 * bytes);
            raf.seek(8 + header.length + bytes - 4);
            raf.write(le32(Float.floatToIntBits(1.5f))); // last float of "first"
            raf.seek(8 + header.length + 2 * bytes - 4);
            raf.write(le32(Float.floatToIntBits(-2.25f))); // last float of "second"
        }

        Map<String, TensorData> t = SafeTensors.read(file).tensors();
        assertEquals(floats, t.get("second").elementCount());
        assertEquals(1.5f, t.get("first").data().getFloat((int) (bytes - 4)));
        assertEquals(0f, t.get("second").data().getFloat(0));
        assertEquals(-2.25f, t.get("second").data().getFloat((int) (bytes - 4)));
    }

    private void assertWrites(int[] expected, Map<String, TensorData> tensors, Map<String, String> metadata)
            throws IOException {
        Path file = dir.resolve("written.safetensors");
        SafeTensors.write(file, tensors, metadata);
        assertArrayEquals(toBytes(expected), Files.readAllBytes(file));
    }

    private Path file(int[] bytes) throws IOException {
        return Files.write(dir.resolve("reference.safetensors"), toBytes(bytes));
    }

    /** A file from a raw header (padded here) and raw data bytes. */
    private Path file(String json, byte[] data) throws IOException {
        byte[] header = pad(json);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(le(header.length));
        out.writeBytes(header);
        out.writeBytes(data);
        return Files.write(dir.resolve("built.safetensors"), out.toByteArray());
    }

    static byte[] pad(String json) {
        StringBuilder s = new StringBuilder(json);
        while (s.toString().getBytes(StandardCharsets.UTF_8).length % 8 != 0) {
            s.append(' ');
        }
        return s.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] le(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }

    private static byte[] le32(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }

    private static long headerLength(Path file) throws IOException {
        return ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static byte[] toBytes(int[] values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) values[i];
        }
        return out;
    }
}
