package dev.peft4j.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The checkpoint files on their own, for an architecture that is not Llama: the shard split, the strict defaults
 * of {@link SafeTensorsCheckpoint.Policy}, and the two ways a policy loosens them (ignored buffers, dropped copies).
 * Llama's use of it, with real key names and every refusal, is in {@code LlamaWeightsTest}.
 */
class SafeTensorsCheckpointTest {

    /** A model with no rules of its own. */
    private static final SafeTensorsCheckpoint.Policy STRICT = new SafeTensorsCheckpoint.Policy() {
        @Override
        public String architecture() {
            return "ToyModel";
        }

        @Override
        public String config() {
            return "width 3";
        }
    };

    /** A model whose checkpoints may carry a buffer {@code buf} and a copy {@code w_copy} of {@code w}. */
    private static final SafeTensorsCheckpoint.Policy LENIENT = new SafeTensorsCheckpoint.Policy() {
        @Override
        public String architecture() {
            return "ToyModel";
        }

        @Override
        public String config() {
            return "width 3";
        }

        @Override
        public boolean ignores(String key) {
            return key.equals("buf");
        }

        @Override
        public String duplicateOf(String key) {
            return key.equals("w_copy") ? "w" : null;
        }
    };

    private static final float[] W = {1f, -2f, 3.5f, 0.25f, 0f, -1e-3f};
    private static final float[] B = {0.5f, 0.5f, -7f};

    @TempDir
    Path temp;

    @Test
    void planShardsIsHuggingFaceGreedySplit() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("a", new long[] {3});
        shapes.put("b", new long[] {3});
        shapes.put("big", new long[] {10});
        shapes.put("c", new long[] {4});
        shapes.put("d", new long[] {1});
        // limit 6: a+b fill a shard; big exceeds the limit and gets its own, appended as soon as it is met (before
        // the open shard a+b is closed); c+d share the last
        assertEquals(List.of(List.of("big"), List.of("a", "b"), List.of("c", "d")),
                SafeTensorsCheckpoint.planShards(shapes, 1, 6));
    }

    @Test
    void anyArchitectureSavesAndLoadsItsTensorsInOneFileOrShards() throws IOException {
        SafeTensorsCheckpoint checkpoint = new SafeTensorsCheckpoint(shapes(), STRICT);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = params(manager);
            Path dir = temp.resolve("toy");
            checkpoint.saveSharded(params, dir, "F32", 24); // w is 24 bytes, b 12: two shards
            assertEquals(List.of(SafeTensorsShards.name(1, 2), SafeTensorsShards.name(2, 2),
                    SafeTensorsCheckpoint.INDEX_FILE), files(dir));
            assertLoads(checkpoint.load(dir, manager));

            checkpoint.save(params, dir, "F32");
            assertEquals(List.of(SafeTensorsCheckpoint.WEIGHTS_FILE), files(dir));
            assertEquals(Map.of("format", "pt"), SafeTensors.read(dir.resolve("model.safetensors")).metadata());
            assertLoads(checkpoint.load(dir, manager));
        }
    }

    @Test
    void theDefaultPolicyRefusesEveryOtherTensorWithGenericAdvice() throws IOException {
        SafeTensorsCheckpoint checkpoint = new SafeTensorsCheckpoint(shapes(), STRICT);
        try (NDManager manager = NDManager.newBaseManager()) {
            Path dir = write("extra", Map.of("buf", TensorData.ofFloats(new long[] {1}, new float[1])));
            AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> checkpoint.load(dir, manager));
            assertEquals("buf", e.key());
            assertTrue(e.getMessage().contains("only the 2 tensors of ToyModel")
                    && e.getMessage().contains("check that config.json belongs"), e.getMessage());

            Path partial = temp.resolve("partial");
            Files.createDirectories(partial);
            SafeTensors.write(partial.resolve(SafeTensorsCheckpoint.WEIGHTS_FILE),
                    Map.of("w", TensorData.ofFloats(new long[] {2, 3}, W)), Map.of());
            e = assertThrows(AdapterFormatException.class, () -> checkpoint.load(partial, manager));
            assertEquals("b", e.key());
            assertTrue(e.getMessage().contains("[3] (config.json: width 3)"), e.getMessage());

            Map<String, NDArray> extra = new LinkedHashMap<>(params(manager));
            extra.put("buf", manager.zeros(new Shape(1)));
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                    () -> checkpoint.save(extra, temp.resolve("unsaved"), "F32"));
            assertTrue(refused.getMessage().contains("save exactly the tensors ToyModel has"), refused.getMessage());
            assertTrue(Files.notExists(temp.resolve("unsaved")), "nothing written when refused");
        }
    }

    @Test
    void aPolicySkipsItsBuffersAndDropsEqualCopies() throws IOException {
        SafeTensorsCheckpoint checkpoint = new SafeTensorsCheckpoint(shapes(), LENIENT);
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, TensorData> extras = new LinkedHashMap<>();
            extras.put("buf", TensorData.ofFloats(new long[] {1}, new float[] {Float.NaN})); // never read
            extras.put("w_copy", TensorData.ofFloats(new long[] {2, 3}, W));
            assertLoads(checkpoint.load(write("equal", extras), manager));

            float[] other = W.clone();
            other[4] = 9f;
            extras.put("w_copy", TensorData.ofFloats(new long[] {2, 3}, other));
            Path dir = write("different", extras);
            AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> checkpoint.load(dir, manager));
            assertEquals("w_copy", e.key());
            assertTrue(e.getMessage().contains("flat index 4: 9.0 vs 0.0"), e.getMessage());
        }
    }

    private static Map<String, long[]> shapes() {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("w", new long[] {2, 3});
        shapes.put("b", new long[] {3});
        return shapes;
    }

    private static Map<String, NDArray> params(NDManager manager) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put("w", manager.create(W, new Shape(2, 3)));
        params.put("b", manager.create(B, new Shape(3)));
        return params;
    }

    /** A directory with {@code model.safetensors} holding the toy model's tensors and {@code extras}. */
    private Path write(String name, Map<String, TensorData> extras) throws IOException {
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("w", TensorData.ofFloats(new long[] {2, 3}, W));
        tensors.put("b", TensorData.ofFloats(new long[] {3}, B));
        tensors.putAll(extras);
        Path dir = temp.resolve(name);
        Files.createDirectories(dir);
        SafeTensors.write(dir.resolve(SafeTensorsCheckpoint.WEIGHTS_FILE), tensors, Map.of());
        return dir;
    }

    private static void assertLoads(Map<String, NDArray> loaded) {
        assertEquals(List.of("w", "b"), List.copyOf(loaded.keySet()));
        assertArrayEquals(W, loaded.get("w").toFloatArray(), 0f);
        assertArrayEquals(new long[] {2, 3}, loaded.get("w").getShape().getShape());
        assertArrayEquals(B, loaded.get("b").toFloatArray(), 0f);
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
