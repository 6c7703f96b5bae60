package dev.peft4j.models.io;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.zip.CRC32C;

/**
 * A TensorFlow checkpoint in the tensor bundle format ({@code prefix.index} plus
 * {@code prefix.data-00000-of-0000N}), the {@code variables/} folder of a SavedModel.
 *
 * <p>Hand-written because nothing on Maven Central reads a bundle from Java without TensorFlow's
 * native libraries (TensorFlow Java needs a 100+ MB platform binary to open one checkpoint), while
 * the format itself is small: the index is a LevelDB table of uncompressed blocks (entries with
 * restart-point prefix-compressed keys, a 5-byte trailer of compression type and masked CRC32C, a
 * 48-byte footer holding the metaindex and index block handles and the magic
 * {@code 0xdb4775248b80fb57}). Under the empty key sits a {@code BundleHeaderProto} ({@code
 * num_shards = 1, endianness = 2}); under each tensor name a {@code BundleEntryProto} ({@code dtype =
 * 1, shape = 2, shard_id = 3, offset = 4, size = 5, crc32c = 6, slices = 7}), read with
 * protobuf-java's {@link CodedInputStream}, that points at the tensor's raw little-endian bytes in
 * a data file.
 *
 * <p>Only the index is held in memory. A tensor is read on request by mapping its byte range of the
 * data file, so a 440 MB checkpoint costs one tensor of heap at a time, and its CRC32C is checked.
 */
public final class TfTensorBundle implements AutoCloseable {

    /** TF {@code DataType} enum value of fp32. */
    public static final int DT_FLOAT = 1;

    static final long TABLE_MAGIC = 0xdb4775248b80fb57L;
    static final int FOOTER_LENGTH = 48;
    static final int BLOCK_TRAILER_LENGTH = 5;
    private static final int NO_COMPRESSION = 0;
    private static final int HEADER_NUM_SHARDS = 1;
    private static final int HEADER_ENDIANNESS = 2;
    private static final int ENTRY_DTYPE = 1;
    private static final int ENTRY_SHAPE = 2;
    private static final int ENTRY_SHARD_ID = 3;
    private static final int ENTRY_OFFSET = 4;
    private static final int ENTRY_SIZE = 5;
    private static final int ENTRY_CRC32C = 6;
    private static final int ENTRY_SLICES = 7;
    private static final int SHAPE_DIM = 2;
    private static final int SHAPE_UNKNOWN_RANK = 3;
    private static final int DIM_SIZE = 1;
    private static final String[] DTYPE_NAMES = {"DT_INVALID", "DT_FLOAT", "DT_DOUBLE", "DT_INT32", "DT_UINT8",
        "DT_INT16", "DT_INT8", "DT_STRING", "DT_COMPLEX64", "DT_INT64", "DT_BOOL", "DT_QINT8", "DT_QUINT8",
        "DT_QINT32", "DT_BFLOAT16", "DT_QINT16", "DT_QUINT16", "DT_UINT16", "DT_COMPLEX128", "DT_HALF"};

    /**
     * Where one tensor lives.
     *
     * @param dtype TF {@code DataType} enum value ({@link #DT_FLOAT} = 1)
     * @param shape dimensions, row-major as stored ({@code []} for a scalar)
     * @param shardId which data file ({@code prefix.data-<shardId>-of-<numShards>})
     * @param offset first byte in that file
     * @param size bytes in that file
     * @param crc32c masked CRC32C of those bytes, 0 when the writer stored none
     */
    public record Entry(String name, int dtype, long[] shape, int shardId, long offset, long size, int crc32c) {

        /** Number of elements. */
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        /** e.g. {@code DT_FLOAT}, or {@code DT_<n>} for a value this reader does not name. */
        public String dtypeName() {
            return dtype >= 0 && dtype < DTYPE_NAMES.length ? DTYPE_NAMES[dtype] : "DT_" + dtype;
        }
    }

    private final String source;
    private final Map<String, Entry> entries;
    private final List<Path> dataFiles;
    private final List<FileChannel> channels;

    private TfTensorBundle(String source, Map<String, Entry> entries, List<Path> dataFiles,
            List<FileChannel> channels) {
        this.source = source;
        this.entries = Collections.unmodifiableMap(entries);
        this.dataFiles = dataFiles;
        this.channels = channels;
    }

    /**
     * Opens the bundle {@code prefix} (e.g. {@code .../variables/variables}): reads
     * {@code prefix.index} and opens the data files its header announces.
     */
    public static TfTensorBundle open(Path prefix) throws IOException {
        Path index = prefix.resolveSibling(prefix.getFileName() + ".index");
        if (!Files.isRegularFile(index)) {
            throw new IOException("TF checkpoint index " + index + " does not exist; pass the bundle prefix (the"
                    + " path without '.index', e.g. saved_model/variables/variables)");
        }
        long length = Files.size(index);
        if (length > Integer.MAX_VALUE) {
            throw new IOException(index + " is " + length + " bytes; a tensor bundle index is at most a few MB,"
                    + " so this is not one");
        }
        String source = index.toString();
        Parsed parsed = parseIndex(ByteBuffer.wrap(Files.readAllBytes(index)).order(ByteOrder.LITTLE_ENDIAN), source);
        List<Path> dataFiles = new ArrayList<>();
        for (int shard = 0; shard < parsed.numShards; shard++) {
            Path data = prefix.resolveSibling(String.format("%s.data-%05d-of-%05d", prefix.getFileName(), shard,
                    parsed.numShards));
            if (!Files.isRegularFile(data)) {
                throw new IOException("TF checkpoint " + source + " has " + parsed.numShards + " data shard(s) but "
                        + data + " does not exist; copy the whole variables/ folder");
            }
            dataFiles.add(data);
        }
        for (Entry e : parsed.entries.values()) {
            if (e.shardId() < 0 || e.shardId() >= parsed.numShards) {
                throw new IOException("Tensor '" + e.name() + "' in " + source + " names shard " + e.shardId()
                        + " but the bundle has " + parsed.numShards + "; the index is corrupt");
            }
            long fileSize = Files.size(dataFiles.get(e.shardId()));
            if (e.offset() < 0 || e.size() < 0 || e.offset() + e.size() > fileSize) {
                throw new IOException("Tensor '" + e.name() + "' spans bytes [" + e.offset() + ", "
                        + (e.offset() + e.size()) + ") of " + dataFiles.get(e.shardId()) + " which has only "
                        + fileSize + " bytes; the data file is truncated, extract it again");
            }
        }
        List<FileChannel> channels = new ArrayList<>();
        try {
            for (Path data : dataFiles) {
                channels.add(FileChannel.open(data, StandardOpenOption.READ));
            }
        } catch (IOException e) {
            for (FileChannel c : channels) {
                c.close();
            }
            throw e;
        }
        return new TfTensorBundle(source, parsed.entries, dataFiles, channels);
    }

    /** The index file, for messages. */
    public String source() {
        return source;
    }

    /** Every tensor, sorted by name as the index stores them. */
    public Map<String, Entry> entries() {
        return entries;
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** Where {@code name} lives; a missing name is an error listing some names the bundle holds. */
    public Entry entry(String name) {
        Entry entry = entries.get(name);
        if (entry == null) {
            List<String> names = new ArrayList<>(entries.keySet());
            throw new IllegalArgumentException("Tensor '" + name + "' not found in " + source + "; it holds "
                    + names.size() + " tensors, e.g. [" + names.stream().limit(8).collect(Collectors.joining(", "))
                    + (names.size() > 8 ? ", ..." : "") + "]. Check the name's scope prefix (e.g. 'module/')");
        }
        return entry;
    }

    /** Reads an fp32 tensor, checking its byte count and CRC32C. */
    public OnnxInitializers.FloatTensor floats(String name) throws IOException {
        Entry e = entry(name);
        if (e.dtype() != DT_FLOAT) {
            throw new IllegalArgumentException("Tensor '" + name + "' in " + source + " has dtype " + e.dtypeName()
                    + " (" + e.dtype() + ") but only DT_FLOAT (1) can be read as floats");
        }
        long expected = e.elements() * Float.BYTES;
        if (e.size() != expected) {
            throw new IOException("Tensor '" + name + "' in " + source + " has shape " + Arrays.toString(e.shape())
                    + " (" + expected + " bytes of fp32) but the index gives it " + e.size() + " bytes; the"
                    + " checkpoint is corrupt");
        }
        if (expected > (long) Integer.MAX_VALUE - 8) {
            throw new IOException("Tensor '" + name + "' holds " + e.elements() + " floats, more than a Java array"
                    + " can hold");
        }
        MappedByteBuffer bytes = channels.get(e.shardId()).map(FileChannel.MapMode.READ_ONLY, e.offset(), e.size());
        if (e.crc32c() != 0) {
            CRC32C crc = new CRC32C();
            crc.update(bytes.duplicate());
            int actual = mask((int) crc.getValue());
            if (actual != e.crc32c()) {
                throw new IOException("Tensor '" + name + "' in " + dataFiles.get(e.shardId()) + " fails its CRC32C"
                        + " check (index says " + Integer.toHexString(e.crc32c()) + ", bytes give "
                        + Integer.toHexString(actual) + "); the data file is corrupt, extract it again");
            }
        }
        float[] data = new float[(int) e.elements()];
        bytes.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        return new OnnxInitializers.FloatTensor(name, e.shape().clone(), data);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (FileChannel c : channels) {
            try {
                c.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** LevelDB's CRC mask: rotate right by 15 and add a constant. */
    static int mask(int crc) {
        return ((crc >>> 15) | (crc << 17)) + 0xa282ead8;
    }

    private record Parsed(int numShards, Map<String, Entry> entries) {
    }

    private static Parsed parseIndex(ByteBuffer file, String source) throws IOException {
        if (file.limit() < FOOTER_LENGTH) {
            throw notBundle(source, "it has " + file.limit() + " bytes, fewer than the 48-byte table footer"
                    + " (truncated file?)");
        }
        long magic = file.getLong(file.limit() - 8);
        if (magic != TABLE_MAGIC) {
            throw notBundle(source, "its last 8 bytes are 0x" + Long.toHexString(magic) + ", not the table magic 0x"
                    + Long.toHexString(TABLE_MAGIC) + " (truncated, or not a .index file)");
        }
        ByteBuffer footer = slice(file, file.limit() - FOOTER_LENGTH, FOOTER_LENGTH - 8);
        readHandle(footer, file, source, "metaindex"); // skipped: bundles keep no filter blocks
        long[] indexHandle = readHandle(footer, file, source, "index");
        Map<String, Entry> entries = new TreeMap<>();
        int numShards = -1;
        for (byte[] handleBytes : readBlock(file, indexHandle, source, "index").values()) {
            ByteBuffer handle = ByteBuffer.wrap(handleBytes);
            long[] dataHandle = readHandle(handle, file, source, "data");
            for (Map.Entry<String, byte[]> kv : readBlock(file, dataHandle, source, "data").entrySet()) {
                if (kv.getKey().isEmpty()) {
                    numShards = parseHeader(kv.getValue(), source);
                } else {
                    entries.put(kv.getKey(), parseEntry(kv.getKey(), kv.getValue(), source));
                }
            }
        }
        if (numShards < 0) {
            throw notBundle(source, "it has no BundleHeaderProto under the empty key (a plain LevelDB table?)");
        }
        return new Parsed(numShards, entries);
    }

    /** A block's key/value pairs, keys rebuilt from their shared prefixes, in stored order. */
    private static Map<String, byte[]> readBlock(ByteBuffer file, long[] handle, String source, String what)
            throws IOException {
        int offset = (int) handle[0];
        int size = (int) handle[1];
        int type = file.get(offset + size) & 0xff;
        if (type != NO_COMPRESSION) {
            throw notBundle(source, "its " + what + " block at " + offset + " has compression type " + type
                    + (type == 1 ? " (snappy)" : "") + "; TensorFlow writes bundle indexes uncompressed, and this"
                    + " reader only handles type 0");
        }
        CRC32C crc = new CRC32C();
        crc.update(slice(file, offset, size + 1));
        int stored = file.getInt(offset + size + 1);
        if (mask((int) crc.getValue()) != stored) {
            throw notBundle(source, "its " + what + " block at " + offset + " fails its CRC32C check (corrupt file)");
        }
        ByteBuffer block = slice(file, offset, size);
        if (size < 4) {
            throw notBundle(source, "its " + what + " block at " + offset + " has " + size + " bytes, too few for a"
                    + " restart count");
        }
        int numRestarts = block.getInt(size - 4);
        long restartsStart = size - 4 - 4L * numRestarts;
        if (numRestarts < 0 || restartsStart < 0) {
            throw notBundle(source, "its " + what + " block at " + offset + " claims " + numRestarts
                    + " restart points, more than fit in " + size + " bytes");
        }
        block.limit((int) restartsStart);
        Map<String, byte[]> out = new java.util.LinkedHashMap<>();
        byte[] key = new byte[0];
        while (block.hasRemaining()) {
            int shared = readVarint32(block, source);
            int unshared = readVarint32(block, source);
            int valueLength = readVarint32(block, source);
            if (shared > key.length || unshared > block.remaining() || valueLength > block.remaining() - unshared) {
                throw notBundle(source, "an entry of its " + what + " block at " + offset + " runs past the block"
                        + " (shared " + shared + ", key " + unshared + ", value " + valueLength + " bytes)");
            }
            byte[] next = Arrays.copyOf(key, shared + unshared);
            block.get(next, shared, unshared);
            byte[] value = new byte[valueLength];
            block.get(value);
            key = next;
            out.put(new String(key, java.nio.charset.StandardCharsets.UTF_8), value);
        }
        return out;
    }

    /** A BlockHandle: varint64 offset, varint64 size; checked to lie inside the file with its trailer. */
    private static long[] readHandle(ByteBuffer in, ByteBuffer file, String source, String what) throws IOException {
        long offset = readVarint64(in, source);
        long size = readVarint64(in, source);
        long end = offset + size + BLOCK_TRAILER_LENGTH;
        if (offset < 0 || size < 0 || end > file.limit() - FOOTER_LENGTH) {
            throw notBundle(source, "its " + what + " block handle points at bytes [" + offset + ", " + end
                    + ") but the blocks end at " + (file.limit() - FOOTER_LENGTH) + " (truncated file?)");
        }
        return new long[] {offset, size};
    }

    private static int parseHeader(byte[] value, String source) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(value);
        int numShards = 1;
        int endianness = 0;
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case HEADER_NUM_SHARDS -> numShards = in.readInt32();
                    case HEADER_ENDIANNESS -> endianness = in.readEnum();
                    default -> in.skipField(tag);
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw notBundle(source, "its BundleHeaderProto does not parse (" + e.getMessage() + ")");
        }
        if (endianness != 0) {
            throw notBundle(source, "it was written big-endian; only little-endian checkpoints are read");
        }
        if (numShards < 1) {
            throw notBundle(source, "its header announces " + numShards + " data shards");
        }
        return numShards;
    }

    private static Entry parseEntry(String name, byte[] value, String source) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(value);
        int dtype = 0;
        List<Long> dims = new ArrayList<>();
        int shard = 0;
        long offset = 0;
        long size = 0;
        int crc = 0;
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case ENTRY_DTYPE -> dtype = in.readEnum();
                    case ENTRY_SHAPE -> {
                        int limit = in.pushLimit(in.readRawVarint32());
                        readShape(in, name, source, dims);
                        in.popLimit(limit);
                    }
                    case ENTRY_SHARD_ID -> shard = in.readInt32();
                    case ENTRY_OFFSET -> offset = in.readInt64();
                    case ENTRY_SIZE -> size = in.readInt64();
                    case ENTRY_CRC32C -> crc = in.readFixed32();
                    case ENTRY_SLICES -> throw notBundle(source, "tensor '" + name + "' is a partitioned variable"
                            + " (stored as slices), which this reader does not join");
                    default -> in.skipField(tag);
                }
            }
        } catch (InvalidProtocolBufferException e) {
            throw notBundle(source, "the BundleEntryProto of '" + name + "' does not parse (" + e.getMessage() + ")");
        }
        return new Entry(name, dtype, dims.stream().mapToLong(Long::longValue).toArray(), shard, offset, size, crc);
    }

    private static void readShape(CodedInputStream in, String name, String source, List<Long> dims)
            throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(tag)) {
                case SHAPE_DIM -> {
                    int limit = in.pushLimit(in.readRawVarint32());
                    long size = 0;
                    for (int t = in.readTag(); t != 0; t = in.readTag()) {
                        if (WireFormat.getTagFieldNumber(t) == DIM_SIZE) {
                            size = in.readInt64();
                        } else {
                            in.skipField(t);
                        }
                    }
                    in.popLimit(limit);
                    if (size < 0) {
                        throw notBundle(source, "tensor '" + name + "' has an unknown dimension (" + size + ")");
                    }
                    dims.add(size);
                }
                case SHAPE_UNKNOWN_RANK -> {
                    if (in.readBool()) {
                        throw notBundle(source, "tensor '" + name + "' has an unknown rank");
                    }
                }
                default -> in.skipField(tag);
            }
        }
    }

    private static int readVarint32(ByteBuffer in, String source) throws IOException {
        long v = readVarint64(in, source);
        if (v > Integer.MAX_VALUE) {
            throw notBundle(source, "a 32-bit varint holds " + v);
        }
        return (int) v;
    }

    private static long readVarint64(ByteBuffer in, String source) throws IOException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!in.hasRemaining()) {
                throw notBundle(source, "a varint runs past the end of its block (truncated file?)");
            }
            byte b = in.get();
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw notBundle(source, "a varint is longer than 10 bytes");
    }

    private static ByteBuffer slice(ByteBuffer file, int offset, int length) {
        return file.duplicate().position(offset).limit(offset + length).slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static IOException notBundle(String source, String why) {
        return new IOException(source + " is not a readable TF tensor bundle index: " + why
                + ". Expected the 'variables.index' of a TensorFlow checkpoint or SavedModel.");
    }
}
