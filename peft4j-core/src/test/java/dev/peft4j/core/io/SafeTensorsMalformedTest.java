package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a safetensors file can be broken gives an AdapterFormatException naming file, key and fix. */
class SafeTensorsMalformedTest {

    private static final String OK_ENTRY = "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    @TempDir
    Path dir;

    @Test
    void fileShorterThanEightBytes() throws IOException {
        AdapterFormatException e = expectBad(Files.write(dir.resolve("short.safetensors"), new byte[] {8, 0, 0}),
                "<header length>");
        assertTrue(e.found().contains("3 bytes"), e.getMessage());
    }

    @Test
    void headerLengthBeyondTheFile() throws IOException {
        byte[] bytes = concat(SafeTensorsTest.le(64), "{}      ".getBytes(StandardCharsets.UTF_8));
        AdapterFormatException e = expectBad(write(bytes), "<header length>");
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.found().contains("64"), e.getMessage());
    }

    @Test
    void absurdHeaderLength() throws IOException {
        expectBad(write(concat(SafeTensorsTest.le(100_000_008L), new byte[16])), "<header length>");
        AdapterFormatException e = expectBad(write(concat(SafeTensorsTest.le(-1L), new byte[16])), "<header length>");
        assertTrue(e.found().contains("18446744073709551615"), "read as unsigned: " + e.getMessage());
    }

    @Test
    void headerNotJson() throws IOException {
        expectBad(file("{\"w\": {\"dtype\": \"F32\",", new byte[0]), "<header>");
        expectBad(file("{}{}", new byte[0]), "<header>");
        expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"w\":{\"dtype\":\"F32\","
                + "\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]), "<header>");
        byte[] notUtf8 = concat(SafeTensorsTest.le(8),
                new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'});
        expectBad(write(notUtf8), "<header>");
    }

    @Test
    void headerNotAnObject() throws IOException {
        AdapterFormatException e = expectBad(file("[1, 2, 3]", new byte[0]), "<header>");
        assertTrue(e.expected().contains("{"), e.getMessage());
        expectBad(file("{\"w\": [1, 2]}", new byte[0]), "w");
    }

    @Test
    void missingDtypeShapeOrOffsets() throws IOException {
        assertTrue(expectBad(file("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]), "w")
                .expected().contains("dtype"));
        assertTrue(expectBad(file("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", new byte[8]), "w")
                .expected().contains("shape"));
        assertTrue(expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", new byte[8]), "w")
                .expected().contains("data_offsets"));
    }

    @Test
    void unknownDtype() throws IOException {
        AdapterFormatException e = expectBad(file("{\"w\":{\"dtype\":\"F31\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                new byte[8]), "w");
        assertTrue(e.found().contains("F31"), e.getMessage());
        assertTrue(e.expected().contains("F32") && e.expected().contains("BF16"), e.getMessage());
    }

    @Test
    void malformedShapeOrOffsets() throws IOException {
        expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8]), "w");
        expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", new byte[8]), "w");
        expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,16]}}", new byte[8]), "w");
        expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,\"8\"]}}", new byte[8]), "w");
        expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}",
                new byte[8]), "w");
        expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"extra\":1}}", new byte[8]),
                "w");
    }

    @Test
    void offsetsNotMatchingShapeTimesDtypeSize() throws IOException {
        AdapterFormatException e = expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
                new byte[8]), "w");
        assertTrue(e.expected().contains("[0, 12]"), e.getMessage());
        assertTrue(e.found().contains("[0, 8]"), e.getMessage());
        expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", new byte[8]), "w");
    }

    @Test
    void offsetsBeyondTheFile() throws IOException {
        AdapterFormatException e = expectBad(file("{" + OK_ENTRY + ",\"v\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[8,16]}}", new byte[12]), "v");
        assertTrue(e.expected().contains("12 data bytes"), e.getMessage());
    }

    @Test
    void overlappingOffsets() throws IOException {
        AdapterFormatException e = expectBad(file("{" + OK_ENTRY + ",\"v\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[4,12]}}", new byte[12]), "v");
        assertTrue(e.found().contains("overlapping") && e.expected().contains("\"w\""), e.getMessage());
    }

    @Test
    void gapBetweenTensors() throws IOException {
        AdapterFormatException e = expectBad(file("{" + OK_ENTRY + ",\"v\":{\"dtype\":\"F32\",\"shape\":[2],"
                + "\"data_offsets\":[12,20]}}", new byte[20]), "v");
        assertTrue(e.found().contains("gap of 4 bytes"), e.getMessage());
        expectBad(file("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]), "w");
    }

    @Test
    void trailingBytesAfterTheLastTensor() throws IOException {
        AdapterFormatException e = expectBad(file("{" + OK_ENTRY + "}", new byte[10]), "<data>");
        assertTrue(e.found().contains("2 trailing bytes"), e.getMessage());
    }

    @Test
    void metadataValuesMustBeStrings() throws IOException {
        expectBad(file("{\"__metadata__\":{\"r\":8}," + OK_ENTRY + "}", new byte[8]), "__metadata__.r");
        expectBad(file("{\"__metadata__\":[\"a\"]," + OK_ENTRY + "}", new byte[8]), "__metadata__");
    }

    /** A correctly written file cut short, as after a copy that died: the last tensor is out of bounds. */
    @Test
    void truncatedFile() throws IOException {
        Path file = dir.resolve("whole.safetensors");
        SafeTensors.write(file, Map.of(
                "a", TensorData.ofFloats(new long[] {4}, new float[] {1, 2, 3, 4}),
                "b", TensorData.ofFloats(new long[] {2, 2}, new float[] {5, 6, 7, 8})), Map.of());
        byte[] whole = Files.readAllBytes(file);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(whole, whole.length - 3));
        AdapterFormatException e = expectBad(cut, "b");
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        Path inHeader = Files.write(dir.resolve("cut-header.safetensors"), Arrays.copyOf(whole, 20));
        expectBad(inHeader, "<header length>");
    }

    private AdapterFormatException expectBad(Path file, String key) {
        AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> SafeTensors.read(file));
        assertEquals(key, e.key(), e.getMessage());
        assertEquals(file, e.file());
        String message = e.getMessage();
        assertTrue(message.contains(file.toString()) && message.contains("\"" + key + "\"")
                && message.contains("expected") && message.contains("found") && message.contains("Fix:"), message);
        assertTrue(!e.expected().isBlank() && !e.found().isBlank() && !e.fix().isBlank(), message);
        return e;
    }

    private Path file(String json, byte[] data) throws IOException {
        byte[] header = SafeTensorsTest.pad(json);
        return write(concat(concat(SafeTensorsTest.le(header.length), header), data));
    }

    private Path write(byte[] bytes) throws IOException {
        return Files.write(Files.createTempFile(dir, "bad", ".safetensors"), bytes);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(b);
        return out.toByteArray();
    }
}
