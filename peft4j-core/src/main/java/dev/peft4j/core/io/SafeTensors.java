package dev.peft4j.core.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes the safetensors format exactly as Python's {@code safetensors} does, so adapter
 * files round-trip with peft and base checkpoints load from the Hugging Face ecosystem.
 *
 * <p>Layout: an 8-byte little-endian header length {@code N}; {@code N} bytes of UTF-8 JSON
 * {@code {"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [m, n],
 * "data_offsets": [begin, end]}, ...}} padded with spaces to a multiple of 8; then the tensors'
 * little-endian bytes, back to back, offsets relative to the end of the header.
 *
 * <p>Writes are atomic ({@link AtomicFiles}). Reads are strict: anything Python's reader would
 * reject, and a few things it lets through (duplicate keys, unknown fields), throw an
 * {@link AdapterFormatException} naming the file, key, expected and found values. Tensor data is
 * memory-mapped, never copied into one big array, so checkpoints beyond 2 GiB load.
 */
public final class SafeTensors {

    /** Python's safetensors refuses headers above this size (100 MB); so do we. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The reserved header key for the string-to-string metadata. */
    static final String METADATA_KEY = "__metadata__";

    private SafeTensors() {
    }

    /**
     * A file's tensors in header order and its metadata (empty when it has none); both unmodifiable.
     * Read tensors are slices of a read-only memory map, which lives until the buffers are garbage
     * collected; an atomic re-save of the same path is safe meanwhile (the map keeps the old file).
     */
    public record Loaded(Map<String, TensorData> tensors, Map<String, String> metadata) {

        public Loaded {
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }
    }

    /**
     * Atomically replaces {@code file} with these tensors and metadata. Tensors are laid out as
     * Python's writer lays them out (by dtype alignment, largest first, then by name), so every
     * tensor starts aligned to its element size and the same tensors always give the same bytes;
     * metadata keys are written sorted. Tensor names must not be {@code __metadata__}.
     */
    public static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata)
            throws IOException {
        SafeTensorsWriter.write(file, tensors, metadata);
    }

    /** Reads and validates {@code file}; see the class comment for what is checked. */
    public static Loaded read(Path file) throws IOException {
        return new SafeTensorsReader(file).read();
    }
}
