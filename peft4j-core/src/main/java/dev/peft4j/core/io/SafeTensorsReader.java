package dev.peft4j.core.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Validates a safetensors file the way Python's reader does (and a little more), then maps its data.
 * One instance reads one file; every problem becomes an {@link AdapterFormatException}.
 */
final class SafeTensorsReader {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Set<String> ENTRY_FIELDS = Set.of("dtype", "shape", "data_offsets");
    private static final String RESAVE = "the file is damaged or was not written by a safetensors writer; "
            + "re-save or re-download it";

    /** One header entry, validated on its own (sizes), before the entries are checked against each other. */
    private record Entry(String name, TensorData.Dtype dtype, long[] shape, long begin, long end) {
    }

    private final Path file;

    SafeTensorsReader(Path file) {
        this.file = file;
    }

    SafeTensors.Loaded read() throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            long headerBytes = headerLength(channel, size);
            JsonNode header = parseHeader(readFully(channel, 8, (int) headerBytes));
            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<String, JsonNode> field : header.properties()) {
                if (field.getKey().equals(SafeTensors.METADATA_KEY)) {
                    metadata = metadata(field.getValue());
                } else {
                    entries.add(entry(field.getKey(), field.getValue()));
                }
            }
            long dataStart = 8 + headerBytes;
            checkLayout(entries, size - dataStart);
            return new SafeTensors.Loaded(map(channel, dataStart, entries), metadata);
        }
    }

    private long headerLength(FileChannel channel, long size) throws IOException {
        String key = "<header length>";
        if (size < 8) {
            throw bad(key, "at least 8 bytes (a little-endian u64 header length, then the header)",
                    size + " bytes", RESAVE);
        }
        long n = readFully(channel, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (n < 0 || n > SafeTensors.MAX_HEADER_BYTES) {
            throw bad(key, "at most " + SafeTensors.MAX_HEADER_BYTES + " bytes (Python's safetensors limit)",
                    Long.toUnsignedString(n) + " bytes", "this is not a safetensors file or its first 8 bytes are "
                            + "damaged; re-save or re-download it");
        }
        if (n > size - 8) {
            throw bad(key, "at most " + (size - 8) + " bytes (the file's " + size + " bytes minus 8)",
                    n + " bytes", "the file is truncated; re-save or re-download it");
        }
        return n;
    }

    private JsonNode parseHeader(ByteBuffer bytes) throws AdapterFormatException {
        String key = "<header>";
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw bad(key, "UTF-8 JSON", "bytes that are not UTF-8", RESAVE);
        }
        if (!text.startsWith("{")) {
            throw bad(key, "a JSON object starting with '{'", "\"" + snippet(text) + "\"", RESAVE);
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at " + e.getLocation().offsetDescription();
            throw new AdapterFormatException(file, key, "valid JSON", e.getOriginalMessage() + where, RESAVE, e);
        }
        if (!root.isObject()) {
            throw bad(key, "a JSON object", root.getNodeType().toString(), RESAVE);
        }
        return root;
    }

    private Map<String, String> metadata(JsonNode node) throws AdapterFormatException {
        Map<String, String> metadata = new LinkedHashMap<>();
        if (node.isNull()) {
            return metadata; // Python writes no key for no metadata, but reads null as none
        }
        if (!node.isObject()) {
            throw bad(SafeTensors.METADATA_KEY, "an object of string values", describe(node),
                    "safetensors metadata maps strings to strings; fix the writer");
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            if (!field.getValue().isTextual()) {
                throw bad(SafeTensors.METADATA_KEY + "." + field.getKey(), "a string value", describe(field.getValue()),
                        "safetensors metadata holds strings only; store numbers and lists as JSON text");
            }
            metadata.put(field.getKey(), field.getValue().textValue());
        }
        return metadata;
    }

    private Entry entry(String name, JsonNode node) throws AdapterFormatException {
        if (!node.isObject()) {
            throw bad(name, "an object with dtype, shape and data_offsets", describe(node), RESAVE);
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
            String field = it.next();
            if (!ENTRY_FIELDS.contains(field)) {
                throw bad(name, "only the fields dtype, shape and data_offsets", "an extra field \"" + field + "\"",
                        "remove the field; peft4j rejects what it does not understand");
            }
        }
        JsonNode dtypeNode = required(name, node, "dtype");
        TensorData.Dtype dtype = dtypeNode.isTextual() ? TensorData.Dtype.of(dtypeNode.textValue()) : null;
        if (dtype == null) {
            throw bad(name, "dtype one of " + TensorData.Dtype.names(), describe(dtypeNode),
                    "convert the tensor to a supported dtype (e.g. F32) before saving");
        }
        long[] shape = longs(name, "shape", required(name, node, "shape"), -1);
        long[] offsets = longs(name, "data_offsets", required(name, node, "data_offsets"), 2);
        long elements = 1;
        long bytes;
        try {
            for (long dim : shape) {
                elements = Math.multiplyExact(elements, dim);
            }
            bytes = Math.multiplyExact(elements, (long) dtype.bytes);
        } catch (ArithmeticException e) {
            throw bad(name, "a shape whose size fits 64 bits", "shape " + Arrays.toString(shape), RESAVE);
        }
        if (offsets[1] < offsets[0] || offsets[1] - offsets[0] != bytes) {
            throw bad(name, "data_offsets [" + offsets[0] + ", " + (offsets[0] + bytes) + "] (shape "
                    + Arrays.toString(shape) + " = " + elements + " x " + dtype + " of " + dtype.bytes + " bytes = "
                    + bytes + " bytes)", "data_offsets " + Arrays.toString(offsets) + " ("
                    + (offsets[1] - offsets[0]) + " bytes)", "the header and the data disagree; " + RESAVE);
        }
        return new Entry(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** Checks that the tensors tile the data region exactly: in bounds, no overlap, no gap, nothing after. */
    private void checkLayout(List<Entry> entries, long dataBytes) throws AdapterFormatException {
        for (Entry e : entries) {
            if (e.end() > dataBytes) {
                throw bad(e.name(), "data_offsets within the " + dataBytes + " data bytes after the header",
                        "data_offsets [" + e.begin() + ", " + e.end() + "]", "the file is truncated; "
                                + "re-save or re-download it");
            }
        }
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        String previous = null;
        for (Entry e : byOffset) {
            if (e.begin() != expected) {
                String after = previous == null ? "the start of the data" : "the end of tensor \"" + previous + "\"";
                throw bad(e.name(), "data_offsets starting at " + expected + " (" + after + "; tensors are "
                                + "contiguous)", "data_offsets [" + e.begin() + ", " + e.end() + "], "
                                + (e.begin() < expected ? "overlapping" : "leaving a gap of "
                                + (e.begin() - expected) + " bytes"), RESAVE);
            }
            expected = e.end();
            previous = e.name();
        }
        if (expected != dataBytes) {
            throw bad("<data>", "tensors covering all " + dataBytes + " data bytes", "they end at byte " + expected
                    + ", leaving " + (dataBytes - expected) + " trailing bytes", RESAVE);
        }
    }

    /**
     * Maps the tensors read-only, in as few mappings as fit Java's 2 GiB buffer limit, and slices each.
     * The mappings outlive the channel.
     */
    private Map<String, TensorData> map(FileChannel channel, long dataStart, List<Entry> entries) throws IOException {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        Map<Entry, ByteBuffer> slices = new IdentityHashMap<>();
        int i = 0;
        while (i < byOffset.size()) {
            long chunkBegin = byOffset.get(i).begin();
            int j = i;
            while (j < byOffset.size() && byOffset.get(j).end() - chunkBegin <= Integer.MAX_VALUE) {
                j++;
            }
            if (j == i) {
                Entry huge = byOffset.get(i);
                throw bad(huge.name(), "a tensor of at most " + Integer.MAX_VALUE + " bytes (a Java buffer's limit)",
                        (huge.end() - huge.begin()) + " bytes", "split the tensor into parts below 2 GiB");
            }
            long chunkEnd = byOffset.get(j - 1).end();
            ByteBuffer chunk = chunkEnd == chunkBegin ? ByteBuffer.allocate(0)
                    : channel.map(FileChannel.MapMode.READ_ONLY, dataStart + chunkBegin, chunkEnd - chunkBegin);
            for (int k = i; k < j; k++) {
                Entry e = byOffset.get(k);
                slices.put(e, chunk.slice((int) (e.begin() - chunkBegin), (int) (e.end() - e.begin())));
            }
            i = j;
        }
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            tensors.put(e.name(), new TensorData(e.dtype().name(), e.shape(), slices.get(e)));
        }
        return tensors;
    }

    private JsonNode required(String name, JsonNode entry, String field) throws AdapterFormatException {
        JsonNode value = entry.get(field);
        if (value == null) {
            List<String> present = new ArrayList<>();
            entry.fieldNames().forEachRemaining(present::add);
            throw bad(name, "a \"" + field + "\" field", "only the fields " + present, RESAVE);
        }
        return value;
    }

    /** A JSON array of non-negative integers, of the given length unless it is -1. */
    private long[] longs(String name, String field, JsonNode node, int length) throws AdapterFormatException {
        String wanted = field + " as " + (length < 0 ? "an array" : "an array of " + length)
                + " of non-negative integers";
        if (!node.isArray() || (length >= 0 && node.size() != length)) {
            throw bad(name, wanted, field + " " + node, RESAVE);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode item = node.get(i);
            if (!item.isIntegralNumber() || !item.canConvertToLong() || item.longValue() < 0) {
                throw bad(name, wanted, field + " " + node, RESAVE);
            }
            values[i] = item.longValue();
        }
        return values;
    }

    private ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new EOFException(file + " ended while reading bytes " + position + ".." + (position + length));
            }
        }
        return buffer.flip();
    }

    private AdapterFormatException bad(String key, String expected, String found, String fix) {
        return new AdapterFormatException(file, key, expected, found, fix);
    }

    private static String describe(JsonNode node) {
        return node.getNodeType().toString().toLowerCase(Locale.ROOT) + " " + snippet(node.toString());
    }

    private static String snippet(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
