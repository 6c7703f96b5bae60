package dev.peft4j.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundle reader on bundles written here byte by byte after the format (LevelDB table blocks
 * with shared key prefixes and restart points, masked CRC32C trailers, 48-byte footer,
 * BundleHeaderProto and BundleEntryProto values), and on the ways such a file goes wrong.
 */
class TfTensorBundleTest {

    @TempDir
    Path dir;

    /** One tensor to write: name, TF dtype, shape, raw bytes. */
    private record Tensor(String name, int dtype, long[] shape, byte[] bytes) {
    }

    private static Tensor floats(String name, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return new Tensor(name, TfTensorBundle.DT_FLOAT, shape, b.array());
    }

    private List<Tensor> sample() {
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(floats("bert/embeddings/LayerNorm/beta", new long[] {3}, 0.5f, -0.25f, 2f));
        tensors.add(floats("bert/embeddings/LayerNorm/gamma", new long[] {3}, 1f, 1.5f, -1f));
        tensors.add(floats("bert/encoder/layer_0/attention/self/query/kernel", new long[] {2, 3},
                1f, 2f, 3f, 4f, 5f, 6f));
        tensors.add(floats("bert/encoder/layer_0/attention/self/query/bias", new long[] {3}, 7f, 8f, 9f));
        tensors.add(floats("scalar", new long[] {}, 42f));
        tensors.add(new Tensor("global_step", 9, new long[] {}, new byte[] {5, 0, 0, 0, 0, 0, 0, 0}));
        return tensors;
    }

    @Test
    void readsTensorsAcrossBlocksWithSharedKeyPrefixes() throws IOException {
        Path prefix = write(sample(), 2, 2, 0);
        try (TfTensorBundle bundle = TfTensorBundle.open(prefix)) {
            assertEquals(6, bundle.entries().size());
            assertEquals(List.of("bert/embeddings/LayerNorm/beta", "bert/embeddings/LayerNorm/gamma",
                    "bert/encoder/layer_0/attention/self/query/bias",
                    "bert/encoder/layer_0/attention/self/query/kernel",
                    "global_step", "scalar"), new ArrayList<>(bundle.entries().keySet()));
            OnnxInitializers.FloatTensor kernel = bundle.floats("bert/encoder/layer_0/attention/self/query/kernel");
            assertArrayEquals(new long[] {2, 3}, kernel.shape());
            assertArrayEquals(new float[] {1f, 2f, 3f, 4f, 5f, 6f}, kernel.data());
            assertArrayEquals(new float[] {1f, 1.5f, -1f}, bundle.floats("bert/embeddings/LayerNorm/gamma").data());
            assertArrayEquals(new float[] {7f, 8f, 9f},
                    bundle.floats("bert/encoder/layer_0/attention/self/query/bias").data());
            OnnxInitializers.FloatTensor scalar = bundle.floats("scalar");
            assertArrayEquals(new long[] {}, scalar.shape());
            assertArrayEquals(new float[] {42f}, scalar.data());
            TfTensorBundle.Entry step = bundle.entry("global_step");
            assertEquals("DT_INT64", step.dtypeName());
            assertEquals(8, step.size());
        }
    }

    @Test
    void readsOneBlockWithoutRestartsInside() throws IOException {
        Path prefix = write(sample(), 100, 16, 0);
        try (TfTensorBundle bundle = TfTensorBundle.open(prefix)) {
            assertArrayEquals(new float[] {0.5f, -0.25f, 2f}, bundle.floats("bert/embeddings/LayerNorm/beta").data());
        }
    }

    @Test
    void missingTensorNamesWhatIsThere() throws IOException {
        try (TfTensorBundle bundle = TfTensorBundle.open(write(sample(), 2, 2, 0))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> bundle.floats("bert/pooler/dense/kernel"));
            assertTrue(e.getMessage().contains("'bert/pooler/dense/kernel' not found"), e.getMessage());
            assertTrue(e.getMessage().contains("6 tensors"), e.getMessage());
            assertTrue(e.getMessage().contains("bert/embeddings/LayerNorm/beta"), e.getMessage());
        }
    }

    @Test
    void nonFloatTensorIsNamedByDtype() throws IOException {
        try (TfTensorBundle bundle = TfTensorBundle.open(write(sample(), 2, 2, 0))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> bundle.floats("global_step"));
            assertTrue(e.getMessage().contains("DT_INT64 (9)"), e.getMessage());
        }
    }

    @Test
    void badMagicIsRejected() throws IOException {
        Path prefix = write(sample(), 2, 2, 0);
        Path index = Path.of(prefix + ".index");
        byte[] bytes = Files.readAllBytes(index);
        bytes[bytes.length - 1] ^= 0x01;
        Files.write(index, bytes);
        IOException e = assertThrows(IOException.class, () -> TfTensorBundle.open(prefix));
        assertTrue(e.getMessage().contains("table magic"), e.getMessage());
    }

    @Test
    void truncatedIndexIsRejected() throws IOException {
        Path prefix = write(sample(), 2, 2, 0);
        Path index = Path.of(prefix + ".index");
        byte[] bytes = Files.readAllBytes(index);
        Files.write(index, Arrays.copyOf(bytes, 30));
        IOException e = assertThrows(IOException.class, () -> TfTensorBundle.open(prefix));
        assertTrue(e.getMessage().contains("fewer than the 48-byte table footer"), e.getMessage());
        // Cut in the middle: the footer moves and the magic is no longer where it belongs.
        Files.write(index, Arrays.copyOf(bytes, bytes.length - 20));
        assertThrows(IOException.class, () -> TfTensorBundle.open(prefix));
    }

    @Test
    void truncatedDataFileIsRejectedAtOpen() throws IOException {
        Path prefix = write(sample(), 2, 2, 0);
        Path data = Path.of(prefix + ".data-00000-of-00001");
        byte[] bytes = Files.readAllBytes(data);
        Files.write(data, Arrays.copyOf(bytes, bytes.length - 4));
        IOException e = assertThrows(IOException.class, () -> TfTensorBundle.open(prefix));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void missingDataFileIsNamed() throws IOException {
        Path prefix = write(sample(), 2, 2, 0);
        Files.delete(Path.of(prefix + ".data-00000-of-00001"));
        IOException e = assertThrows(IOException.class, () -> TfTensorBundle.open(prefix));
        assertTrue(e.getMessage().contains("data-00000-of-00001 does not exist"), e.getMessage());
    }

    @Test
    void corruptTensorBytesFailTheirChecksum() throws IOException {
        Path prefix = write(sample(), 2, 2, 0);
        Path data = Path.of(prefix + ".data-00000-of-00001");
        byte[] bytes = Files.readAllBytes(data);
        bytes[0] ^= 0x40; // first tensor in name order: bert/embeddings/LayerNorm/beta
        Files.write(data, bytes);
        try (TfTensorBundle bundle = TfTensorBundle.open(prefix)) {
            IOException e = assertThrows(IOException.class, () -> bundle.floats("bert/embeddings/LayerNorm/beta"));
            assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
            assertArrayEquals(new float[] {1f, 1.5f, -1f}, bundle.floats("bert/embeddings/LayerNorm/gamma").data());
        }
    }

    @Test
    void compressedBlocksAreRejected() throws IOException {
        IOException e = assertThrows(IOException.class, () -> TfTensorBundle.open(write(sample(), 2, 2, 1)));
        assertTrue(e.getMessage().contains("compression type 1 (snappy)"), e.getMessage());
    }

    @Test
    void missingIndexSaysWhatToPass() {
        IOException e = assertThrows(IOException.class, () -> TfTensorBundle.open(dir.resolve("nothing")));
        assertTrue(e.getMessage().contains("pass the bundle prefix"), e.getMessage());
    }

    /**
     * Writes {@code tensors} as a bundle: data file in name order, index blocks of {@code perBlock}
     * entries with a restart point every {@code restartInterval} entries, block type {@code blockType}.
     */
    private Path write(List<Tensor> tensors, int perBlock, int restartInterval, int blockType) throws IOException {
        Path prefix = dir.resolve("variables");
        TreeMap<String, byte[]> entries = new TreeMap<>();
        entries.put("", header());
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        TreeMap<String, Tensor> sorted = new TreeMap<>();
        tensors.forEach(t -> sorted.put(t.name(), t));
        for (Tensor t : sorted.values()) {
            entries.put(t.name(), entry(t, data.size()));
            data.write(t.bytes());
        }
        Files.write(Path.of(prefix + ".data-00000-of-00001"), data.toByteArray());

        ByteArrayOutputStream file = new ByteArrayOutputStream();
        Map<String, byte[]> indexEntries = new TreeMap<>();
        List<Map.Entry<String, byte[]>> all = new ArrayList<>(entries.entrySet());
        for (int start = 0; start < all.size(); start += perBlock) {
            List<Map.Entry<String, byte[]>> chunk = all.subList(start, Math.min(all.size(), start + perBlock));
            long offset = file.size();
            byte[] block = block(chunk, restartInterval);
            writeBlock(file, block, blockType);
            indexEntries.put(chunk.get(chunk.size() - 1).getKey(), handle(offset, block.length));
        }
        long metaOffset = file.size();
        byte[] meta = block(List.of(), restartInterval);
        writeBlock(file, meta, 0);
        long indexOffset = file.size();
        byte[] index = block(new ArrayList<>(indexEntries.entrySet()), 1);
        writeBlock(file, index, 0);
        ByteBuffer footer = ByteBuffer.allocate(TfTensorBundle.FOOTER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        footer.put(handle(metaOffset, meta.length)).put(handle(indexOffset, index.length));
        footer.putLong(TfTensorBundle.FOOTER_LENGTH - 8, TfTensorBundle.TABLE_MAGIC);
        file.write(footer.array());
        Files.write(Path.of(prefix + ".index"), file.toByteArray());
        return prefix;
    }

    /** LevelDB block: entries with shared key prefixes, restart offsets, restart count. */
    private static byte[] block(List<Map.Entry<String, byte[]>> entries, int restartInterval) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Integer> restarts = new ArrayList<>();
        byte[] previous = new byte[0];
        for (int i = 0; i < entries.size(); i++) {
            byte[] key = entries.get(i).getKey().getBytes(StandardCharsets.UTF_8);
            byte[] value = entries.get(i).getValue();
            int shared = 0;
            if (i % restartInterval == 0) {
                restarts.add(out.size());
            } else {
                while (shared < Math.min(key.length, previous.length) && key[shared] == previous[shared]) {
                    shared++;
                }
            }
            varint(out, shared);
            varint(out, key.length - shared);
            varint(out, value.length);
            out.write(key, shared, key.length - shared);
            out.write(value);
            previous = key;
        }
        if (restarts.isEmpty()) {
            restarts.add(0);
        }
        ByteBuffer tail = ByteBuffer.allocate(4 * restarts.size() + 4).order(ByteOrder.LITTLE_ENDIAN);
        restarts.forEach(tail::putInt);
        tail.putInt(restarts.size());
        out.write(tail.array());
        return out.toByteArray();
    }

    private static void writeBlock(ByteArrayOutputStream file, byte[] block, int type) throws IOException {
        file.write(block);
        file.write(type);
        CRC32C crc = new CRC32C();
        crc.update(block);
        crc.update(type);
        file.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(TfTensorBundle.mask((int) crc.getValue())).array());
    }

    private static byte[] handle(long offset, long size) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        varint(out, offset);
        varint(out, size);
        return out.toByteArray();
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7fL) != 0) {
            out.write((int) ((value & 0x7f) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }

    /** BundleHeaderProto: num_shards = 1, endianness = LITTLE (0, left out as proto3 does). */
    private static byte[] header() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeInt32(1, 1);
        out.flush();
        return bytes.toByteArray();
    }

    /** BundleEntryProto: dtype, shape (TensorShapeProto dims), shard 0, offset, size, masked crc32c. */
    private static byte[] entry(Tensor t, long offset) throws IOException {
        ByteArrayOutputStream shapeBytes = new ByteArrayOutputStream();
        CodedOutputStream shape = CodedOutputStream.newInstance(shapeBytes);
        for (long d : t.shape()) {
            ByteArrayOutputStream dimBytes = new ByteArrayOutputStream();
            CodedOutputStream dim = CodedOutputStream.newInstance(dimBytes);
            dim.writeInt64(1, d);
            dim.flush();
            shape.writeByteArray(2, dimBytes.toByteArray());
        }
        shape.flush();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeEnum(1, t.dtype());
        out.writeByteArray(2, shapeBytes.toByteArray());
        if (offset != 0) {
            out.writeInt64(4, offset);
        }
        out.writeInt64(5, t.bytes().length);
        CRC32C crc = new CRC32C();
        crc.update(t.bytes());
        out.writeFixed32(6, TfTensorBundle.mask((int) crc.getValue()));
        out.flush();
        return bytes.toByteArray();
    }
}
