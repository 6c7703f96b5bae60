package dev.peft4j.core.io;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Serialises tensors the way Python's safetensors does, header first, through {@link AtomicFiles}. */
final class SafeTensorsWriter {

    private static final JsonFactory JSON = new JsonFactory();

    /** Python's order: larger dtype first (so each tensor stays aligned), then name by UTF-8 bytes. */
    private static final Comparator<Map.Entry<String, TensorData>> LAYOUT_ORDER =
            Comparator.<Map.Entry<String, TensorData>>comparingInt(
                    e -> -TensorData.Dtype.valueOf(e.getValue().dtype()).ordinal())
                    .thenComparing((a, b) -> Arrays.compareUnsigned(
                            a.getKey().getBytes(StandardCharsets.UTF_8), b.getKey().getBytes(StandardCharsets.UTF_8)));

    private SafeTensorsWriter() {
    }

    static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata) throws IOException {
        List<Map.Entry<String, TensorData>> ordered = layout(tensors);
        byte[] header = header(ordered, checkedMetadata(metadata));
        AtomicFiles.write(file, out -> {
            out.write(ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(header.length).array());
            out.write(header);
            WritableByteChannel channel = Channels.newChannel(out);
            for (Map.Entry<String, TensorData> entry : ordered) {
                ByteBuffer bytes = entry.getValue().data();
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
            }
        });
    }

    /** The header JSON, compact, with fields in Python's order, padded with spaces to a multiple of 8. */
    static byte[] header(List<Map.Entry<String, TensorData>> ordered, Map<String, String> metadata)
            throws IOException {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(json, JsonEncoding.UTF8)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart(SafeTensors.METADATA_KEY);
                for (Map.Entry<String, String> entry : metadata.entrySet()) {
                    g.writeStringField(entry.getKey(), entry.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (Map.Entry<String, TensorData> entry : ordered) {
                TensorData tensor = entry.getValue();
                g.writeObjectFieldStart(entry.getKey());
                g.writeStringField("dtype", tensor.dtype());
                g.writeArrayFieldStart("shape");
                for (long dim : tensor.shape()) {
                    g.writeNumber(dim);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                offset += tensor.data().remaining();
                g.writeNumber(offset);
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        while (json.size() % 8 != 0) {
            json.write(' '); // so that the data starts 8-byte aligned in the file
        }
        return json.toByteArray();
    }

    static List<Map.Entry<String, TensorData>> layout(Map<String, TensorData> tensors) {
        List<Map.Entry<String, TensorData>> ordered = new ArrayList<>(tensors.size());
        for (Map.Entry<String, TensorData> entry : tensors.entrySet()) {
            if (entry.getKey() == null || entry.getValue() == null) {
                throw new IllegalArgumentException("Tensor map has a null name or tensor: " + entry.getKey()
                        + " -> " + entry.getValue() + "; remove the entry");
            }
            if (entry.getKey().equals(SafeTensors.METADATA_KEY)) {
                throw new IllegalArgumentException("A tensor cannot be named " + SafeTensors.METADATA_KEY
                        + " (safetensors reserves it for metadata); rename the tensor");
            }
            ordered.add(Map.entry(entry.getKey(), entry.getValue()));
        }
        ordered.sort(LAYOUT_ORDER);
        return ordered;
    }

    private static Map<String, String> checkedMetadata(Map<String, String> metadata) {
        Map<String, String> sorted = new TreeMap<>();
        if (metadata == null) {
            return sorted;
        }
        for (Map.Entry<String, String> entry : metadata.entrySet()) {
            if (entry.getKey() == null || entry.getValue() == null) {
                throw new IllegalArgumentException("Metadata has a null key or value: " + entry.getKey() + " -> "
                        + entry.getValue() + "; safetensors metadata holds strings only, so remove or fill it");
            }
            sorted.put(entry.getKey(), entry.getValue());
        }
        return sorted;
    }
}
