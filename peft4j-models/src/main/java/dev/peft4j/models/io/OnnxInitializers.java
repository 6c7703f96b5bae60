package dev.peft4j.models.io;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The fp32 initializers (weights) of an ONNX model, keyed by Hugging Face parameter name.
 *
 * <p>The file is read with protobuf-java's {@link CodedInputStream}, the library's own wire-format
 * reader, walking only the few fields we need ({@code ModelProto.graph = 7}, {@code GraphProto.node
 * = 1, initializer = 5}, {@code NodeProto input = 1, name = 3, op_type = 4}, {@code TensorProto dims
 * = 1, data_type = 2, float_data = 4, name = 8, raw_data = 9}): the ONNX schema is not published on
 * Maven Central as generated Java classes, and pulling in ONNX Runtime just to read weights would
 * add a 100 MB native dependency.
 *
 * <p>Exporters leave the Linear weights anonymous ({@code onnx::MatMul_787}) and stored
 * {@code [in, out]}. Each one is renamed after the MatMul node that consumes it
 * ({@code /encoder/layer.0/attention/self/query/MatMul} gives
 * {@code encoder.layer.0.attention.self.query.weight}) and transposed to PyTorch's {@code [out, in]}.
 * Non-float initializers (int64 position ids, shape constants) are skipped.
 *
 * <p>Every problem with the bytes (not protobuf, truncated, a shape that disagrees with the data, negative or
 * oversized dimensions) is an {@link IOException} naming the source; nothing is allocated from a length field before
 * the bytes it announces have been read, so a damaged or hostile file cannot make the reader run out of memory.
 */
public final class OnnxInitializers {

    private static final int MODEL_GRAPH = 7;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int NODE_INPUT = 1;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_FLOAT_DATA = 4;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int TENSOR_DATA_LOCATION = 14;
    private static final int DATA_TYPE_FLOAT = 1;
    private static final int DATA_LOCATION_EXTERNAL = 1;
    private static final String MATMUL_SUFFIX = "/MatMul";

    /** A row-major fp32 tensor. */
    public record FloatTensor(String name, long[] shape, float[] data) {

        public long size() {
            long size = 1;
            for (long dim : shape) {
                size *= dim;
            }
            return size;
        }
    }

    private final String source;
    private final Map<String, FloatTensor> tensors;

    private OnnxInitializers(String source, Map<String, FloatTensor> tensors) {
        this.source = source;
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    /** Reads the initializers of an ONNX file. */
    public static OnnxInitializers read(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            // the file's own size bounds every length field: protobuf then rejects a longer one before reading it
            return read(in, file.toString(), (int) Math.min(size, Integer.MAX_VALUE));
        }
    }

    /** Reads the initializers of an ONNX model from a stream (e.g. a jar entry); does not close it. */
    public static OnnxInitializers read(InputStream in) throws IOException {
        return read(in, "ONNX stream");
    }

    /** As {@link #read(InputStream)}; {@code source} names the stream in error messages. */
    public static OnnxInitializers read(InputStream in, String source) throws IOException {
        return read(in, source, Integer.MAX_VALUE); // weights exceed protobuf's 64 MB default; ONNX caps at 2 GB
    }

    private static OnnxInitializers read(InputStream in, String source, int sizeLimit) throws IOException {
        CodedInputStream coded = CodedInputStream.newInstance(in, 1 << 16);
        coded.setSizeLimit(sizeLimit);
        try {
            return new Parser(source).parseModel(coded);
        } catch (InvalidProtocolBufferException e) {
            throw notOnnx(source, "the bytes are not a valid protobuf message (" + e.getMessage() + ")");
        }
    }

    /** Where the tensors came from (file path or stream name), for messages. */
    public String source() {
        return source;
    }

    /** All fp32 tensors by name, in file order. */
    public Map<String, FloatTensor> tensors() {
        return tensors;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor called {@code name}; a missing one is an error that lists what the file holds. */
    public FloatTensor require(String name) {
        FloatTensor tensor = tensors.get(name);
        if (tensor == null) {
            List<String> found = new ArrayList<>(tensors.keySet());
            String sample = found.stream().limit(8).collect(Collectors.joining(", "));
            throw new IllegalArgumentException("Tensor '" + name + "' not found in " + source + "; it holds "
                    + found.size() + " float tensors, e.g. [" + sample + (found.size() > 8 ? ", ..." : "")
                    + "]. Check that the file is the model you meant to load (a BERT-style export with Hugging Face"
                    + " names).");
        }
        return tensor;
    }

    private static IOException notOnnx(String source, String why) {
        return new IOException(source + " is not an ONNX model: " + why
                + ". Expected a protobuf ModelProto (.onnx) with its weights as initializers; pass the .onnx file"
                + " itself, not an archive or a model with external data.");
    }

    /** One pass over the wire format; collects initializers and the MatMul nodes that name them. */
    private static final class Parser {
        private final String source;
        private final Map<String, FloatTensor> initializers = new LinkedHashMap<>();
        private final Map<String, String> matMulWeightToModule = new HashMap<>();
        private boolean sawGraph;

        Parser(String source) {
            this.source = source;
        }

        OnnxInitializers parseModel(CodedInputStream in) throws IOException {
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                if (WireFormat.getTagFieldNumber(tag) == MODEL_GRAPH) {
                    requireLengthDelimited(tag, "ModelProto.graph");
                    int limit = in.pushLimit(in.readRawVarint32());
                    parseGraph(in);
                    in.popLimit(limit);
                    sawGraph = true;
                } else if (!in.skipField(tag)) {
                    break;
                }
            }
            if (!sawGraph) {
                throw notOnnx(source, "it has no graph (ModelProto field 7)");
            }
            if (initializers.isEmpty()) {
                throw notOnnx(source, "its graph has no fp32 initializers");
            }
            return new OnnxInitializers(source, named());
        }

        private void parseGraph(CodedInputStream in) throws IOException {
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    return;
                }
                int field = WireFormat.getTagFieldNumber(tag);
                if (field == GRAPH_NODE || field == GRAPH_INITIALIZER) {
                    requireLengthDelimited(tag, field == GRAPH_NODE ? "GraphProto.node" : "GraphProto.initializer");
                    int limit = in.pushLimit(in.readRawVarint32());
                    if (field == GRAPH_NODE) {
                        parseNode(in);
                    } else {
                        parseTensor(in);
                    }
                    in.popLimit(limit);
                } else {
                    in.skipField(tag);
                }
            }
        }

        private void parseNode(CodedInputStream in) throws IOException {
            List<String> inputs = new ArrayList<>();
            String name = "";
            String opType = "";
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case NODE_INPUT -> inputs.add(in.readStringRequireUtf8());
                    case NODE_NAME -> name = in.readStringRequireUtf8();
                    case NODE_OP_TYPE -> opType = in.readStringRequireUtf8();
                    default -> in.skipField(tag);
                }
            }
            if ("MatMul".equals(opType) && name.endsWith(MATMUL_SUFFIX) && inputs.size() == 2) {
                // "/encoder/layer.0/attention/self/query/MatMul" -> "encoder.layer.0.attention.self.query"
                String module = name.substring(0, name.length() - MATMUL_SUFFIX.length());
                module = module.startsWith("/") ? module.substring(1) : module;
                matMulWeightToModule.putIfAbsent(inputs.get(1), module.replace('/', '.'));
            }
        }

        private void parseTensor(CodedInputStream in) throws IOException {
            List<Long> dims = new ArrayList<>();
            int dataType = 0;
            String name = "";
            ByteString raw = null;
            float[] floatData = null;
            boolean external = false;
            while (true) {
                int tag = in.readTag();
                if (tag == 0) {
                    break;
                }
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case TENSOR_DIMS -> readInt64s(in, tag, dims);
                    case TENSOR_DATA_TYPE -> dataType = in.readInt32();
                    case TENSOR_NAME -> name = in.readStringRequireUtf8();
                    case TENSOR_RAW_DATA -> raw = in.readBytes();
                    case TENSOR_FLOAT_DATA -> floatData = readFloats(in, tag, floatData);
                    case TENSOR_DATA_LOCATION -> external = in.readEnum() == DATA_LOCATION_EXTERNAL;
                    default -> in.skipField(tag);
                }
            }
            if (dataType != DATA_TYPE_FLOAT) {
                return;
            }
            long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
            long size = 1;
            for (long dim : shape) {
                // both factors <= 2^31 before multiplying, so the product cannot overflow a long
                size = dim < 0 || dim > Integer.MAX_VALUE ? -1 : size * dim;
                if (size < 0 || size > Integer.MAX_VALUE) {
                    throw new IOException("Tensor '" + name + "' in " + source + " has shape " + dims
                            + ", which is negative or holds more than " + Integer.MAX_VALUE + " floats (a Java "
                            + "array's limit); the file is corrupt or not a model this reader supports");
                }
            }
            float[] data;
            if (external) {
                throw notOnnx(source, "tensor '" + name + "' keeps its data in an external file, which this reader"
                        + " does not follow");
            } else if (raw != null) {
                if (raw.size() % Float.BYTES != 0) {
                    throw new IOException("Tensor '" + name + "' in " + source + " has shape " + dims + " (" + size
                            + " floats = " + size * Float.BYTES + " bytes) but carries " + raw.size() + " raw bytes; "
                            + "the file is truncated or corrupt");
                }
                data = new float[raw.size() / Float.BYTES];
                raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
            } else {
                data = floatData == null ? new float[0] : floatData;
            }
            if (data.length != size) {
                throw new IOException("Tensor '" + name + "' in " + source + " has shape " + dims + " (" + size
                        + " floats) but carries " + data.length + " floats; the file is truncated or corrupt");
            }
            initializers.put(name, new FloatTensor(name, shape, data));
        }

        private Map<String, FloatTensor> named() {
            Map<String, FloatTensor> out = new LinkedHashMap<>();
            for (FloatTensor tensor : initializers.values()) {
                String module = matMulWeightToModule.get(tensor.name());
                String hfName = module == null ? null : module + ".weight";
                if (hfName != null && tensor.shape().length == 2 && !initializers.containsKey(hfName)) {
                    out.put(hfName, transpose(hfName, tensor));
                } else {
                    out.put(tensor.name(), tensor);
                }
            }
            return out;
        }

        private void requireLengthDelimited(int tag, String what) throws IOException {
            if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                throw notOnnx(source, what + " has wire type " + WireFormat.getTagWireType(tag)
                        + " where a message (wire type 2) is expected");
            }
        }
    }

    /** [in, out] -> [out, in]. */
    private static FloatTensor transpose(String name, FloatTensor tensor) {
        int rows = (int) tensor.shape()[0];
        int cols = (int) tensor.shape()[1];
        float[] src = tensor.data();
        float[] dst = new float[src.length];
        for (int i = 0; i < rows; i++) {
            int rowStart = i * cols;
            for (int j = 0; j < cols; j++) {
                dst[j * rows + i] = src[rowStart + j];
            }
        }
        return new FloatTensor(name, new long[] {cols, rows}, dst);
    }

    private static void readInt64s(CodedInputStream in, int tag, List<Long> out) throws IOException {
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int limit = in.pushLimit(in.readRawVarint32());
            while (in.getBytesUntilLimit() > 0) {
                out.add(in.readInt64());
            }
            in.popLimit(limit);
        } else {
            out.add(in.readInt64());
        }
    }

    private static float[] readFloats(CodedInputStream in, int tag, float[] sofar) throws IOException {
        float[] previous = sofar == null ? new float[0] : sofar;
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
            int length = in.readRawVarint32();
            if (length < 0 || length % Float.BYTES != 0) {
                throw new InvalidProtocolBufferException("packed float_data of " + length + " bytes, not a "
                        + "multiple of 4");
            }
            int limit = in.pushLimit(length);
            // grown as floats arrive rather than sized from the length field, which a damaged file may inflate
            float[] out = java.util.Arrays.copyOf(previous, previous.length + Math.min(length / Float.BYTES, 1 << 16));
            int count = previous.length;
            while (in.getBytesUntilLimit() > 0) {
                if (count == out.length) {
                    out = java.util.Arrays.copyOf(out, (int) Math.min(Integer.MAX_VALUE - 8L,
                            Math.max(16L, out.length * 2L)));
                }
                out[count++] = in.readFloat();
            }
            in.popLimit(limit);
            return count == out.length ? out : java.util.Arrays.copyOf(out, count);
        }
        float[] out = java.util.Arrays.copyOf(previous, previous.length + 1);
        out[previous.length] = in.readFloat();
        return out;
    }
}
