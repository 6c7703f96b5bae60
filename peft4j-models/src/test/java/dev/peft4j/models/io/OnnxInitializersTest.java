package dev.peft4j.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A small ONNX ModelProto written field by field, as an exporter lays it out. */
class OnnxInitializersTest {

    @Test
    void namesMatMulWeightsByTheirNodeAndTransposes() throws IOException {
        OnnxInitializers read = OnnxInitializers.read(new ByteArrayInputStream(model()), "test.onnx");
        assertEquals(List.of("encoder.layer.0.attention.self.query.bias",
                "encoder.layer.0.attention.self.query.weight", "embeddings.LayerNorm.weight"),
                List.copyOf(read.tensors().keySet()));
        OnnxInitializers.FloatTensor weight = read.require("encoder.layer.0.attention.self.query.weight");
        // stored [in 2, out 3] = [[1,2,3],[4,5,6]] -> [out 3, in 2]
        assertArrayEquals(new long[] {3, 2}, weight.shape());
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, weight.data());
        assertArrayEquals(new float[] {0.5f, -0.5f, 2f}, read.require("encoder.layer.0.attention.self.query.bias").data());
        // float_data (packed), not raw_data
        assertArrayEquals(new float[] {1f, 1f}, read.require("embeddings.LayerNorm.weight").data());
        assertFalse(read.contains("onnx::MatMul_7"));
    }

    @Test
    void missingTensorNamesWhatWasFound() throws IOException {
        OnnxInitializers read = OnnxInitializers.read(new ByteArrayInputStream(model()), "test.onnx");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> read.require("embeddings.word_embeddings.weight"));
        assertTrue(e.getMessage().startsWith("Tensor 'embeddings.word_embeddings.weight' not found in test.onnx; it"
                + " holds 3 float tensors, e.g. [encoder.layer.0.attention.self.query.bias,"), e.getMessage());
    }

    @Test
    void rejectsFilesThatAreNotOnnx() {
        byte[] text = "<html>this is a web page, not a model</html>".getBytes(StandardCharsets.UTF_8);
        IOException e = assertThrows(IOException.class,
                () -> OnnxInitializers.read(new ByteArrayInputStream(text), "page.html"));
        assertTrue(e.getMessage().startsWith("page.html is not an ONNX model: "), e.getMessage());
        IOException empty = assertThrows(IOException.class,
                () -> OnnxInitializers.read(new ByteArrayInputStream(new byte[0]), "empty.onnx"));
        assertTrue(empty.getMessage().contains("it has no graph (ModelProto field 7)"), empty.getMessage());
    }

    @Test
    void rejectsTruncatedTensorData() throws IOException {
        byte[] graph = message(out -> writeTensor(out, "w", new long[] {2, 2}, new float[] {1, 2, 3}));
        byte[] model = message(out -> out.writeByteArray(7, graph));
        IOException e = assertThrows(IOException.class, () -> OnnxInitializers.read(new ByteArrayInputStream(model), "t.onnx"));
        assertEquals("Tensor 'w' in t.onnx has shape [2, 2] (4 floats) but carries 3 floats; the file is truncated or"
                + " corrupt", e.getMessage());
    }

    static byte[] model() throws IOException {
        byte[] node = message(out -> {
            out.writeString(1, "/encoder/layer.0/attention/self/query/Add_input");
            out.writeString(1, "onnx::MatMul_7");
            out.writeString(2, "/encoder/layer.0/attention/self/query/MatMul_output_0");
            out.writeString(3, "/encoder/layer.0/attention/self/query/MatMul");
            out.writeString(4, "MatMul");
        });
        byte[] int64Tensor = message(out -> {
            out.writeInt64(1, 1);
            out.writeInt32(2, 7); // INT64: skipped
            out.writeString(8, "embeddings.position_ids");
            out.writeBytes(9, ByteString.copyFrom(new byte[8]));
        });
        byte[] packedFloats = message(out -> {
            out.writeInt64(1, 2);
            out.writeInt32(2, 1);
            out.writeTag(4, 2);
            out.writeUInt32NoTag(8);
            out.writeFloatNoTag(1f);
            out.writeFloatNoTag(1f);
            out.writeString(8, "embeddings.LayerNorm.weight");
        });
        byte[] graph = message(out -> {
            out.writeByteArray(1, node);
            out.writeString(2, "main_graph");
            writeTensor(out, "encoder.layer.0.attention.self.query.bias", new long[] {3}, new float[] {0.5f, -0.5f, 2f});
            writeTensor(out, "onnx::MatMul_7", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
            out.writeByteArray(5, int64Tensor);
            out.writeByteArray(5, packedFloats);
        });
        return message(out -> {
            out.writeInt64(1, 7); // ir_version
            out.writeString(2, "pytorch");
            out.writeByteArray(7, graph);
        });
    }

    private static void writeTensor(CodedOutputStream out, String name, long[] dims, float[] values) throws IOException {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            raw.putFloat(v);
        }
        out.writeByteArray(5, message(t -> {
            for (long d : dims) {
                t.writeInt64(1, d);
            }
            t.writeInt32(2, 1); // FLOAT
            t.writeString(8, name);
            t.writeByteArray(9, raw.array());
        }));
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Writer writer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        writer.write(out);
        out.flush();
        return bytes.toByteArray();
    }
}
