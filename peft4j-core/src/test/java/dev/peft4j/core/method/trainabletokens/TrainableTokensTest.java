package dev.peft4j.core.method.trainabletokens;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.ToyMlp;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.DirectoryManifest;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import dev.peft4j.core.nd.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trainable tokens on the toy MLP, lin0's weight [20, 10] as the table: the hook's reset, the file's single
 * [k, 10] tensor under peft's key, and the refusals at wrap and load time.
 */
class TrainableTokensTest {

    private static final String DELTA_KEY = "base_model.model.lin0.trainable_tokens_delta";

    @TempDir
    Path dir;

    private static TrainableTokensConfig rows(Integer... indices) {
        return TrainableTokensConfig.builder().optTargetModules("lin0").setTokenIndices(indices).build();
    }

    /** Every value of the table moved, as an optimiser with weight decay moves rows without a gradient. */
    private static void moveEveryRow(NDArray table) {
        float[] values = table.toFloatArray();
        for (int i = 0; i < values.length; i++) {
            values[i] = values[i] * 0.9f + 0.01f * (i % 7);
        }
        Tensors.overwrite(table, values);
    }

    @Test
    void theHookPutsEveryOtherRowBackBitForBitAndKeepsTheTokenRows() {
        try (ToyMlp model = new ToyMlp(3)) {
            NDArray table = model.parameters().get("lin0.weight");
            float[] base = table.toFloatArray();
            PeftModel peft = Peft.wrap(model, rows(7, 2));
            assertEquals(2 * 10, peft.adapterParameterCount());
            assertTrue(peft.trainableParametersReport().startsWith("trainable params: 20 || all params: 262 ||"),
                    peft.trainableParametersReport());
            moveEveryRow(table);
            float[] moved = table.toFloatArray();
            peft.trainingHook().afterStep(1, 1);
            float[] after = table.toFloatArray();
            for (int row = 0; row < 20; row++) {
                float[] expected = row == 2 || row == 7 ? moved : base;
                for (int col = 0; col < 10; col++) {
                    int i = row * 10 + col;
                    // bit for bit: the other rows are copies of the saved originals, the token rows of the update
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(after[i]),
                            "row " + row + " column " + col);
                }
            }
            peft.disableAdapters();
            assertArrayEquals(base, table.toFloatArray(), 0f);
        }
    }

    @Test
    void theFileHoldsOnlyTheTokenRowsInConfigOrderUnderPeftsKey() throws IOException {
        float[] trained;
        try (ToyMlp model = new ToyMlp(3)) {
            PeftModel peft = Peft.wrap(model, rows(7, 2));
            NDArray table = model.parameters().get("lin0.weight");
            moveEveryRow(table);
            peft.trainingHook().afterStep(1, 1);
            trained = table.toFloatArray();
            peft.save(dir);
        }
        SafeTensors.Loaded file = SafeTensors.read(dir.resolve("adapter_model.safetensors"));
        assertEquals(List.of(DELTA_KEY), List.copyOf(file.tensors().keySet()));
        TensorData delta = file.tensors().get(DELTA_KEY);
        assertArrayEquals(new long[] {2, 10}, delta.shape());
        float[] values = delta.asFloats();
        for (int col = 0; col < 10; col++) {
            assertEquals(trained[7 * 10 + col], values[col], 0f, "first saved row is token 7");
            assertEquals(trained[2 * 10 + col], values[10 + col], 0f, "second saved row is token 2");
        }
        Map<?, ?> config = new ObjectMapper().readValue(dir.resolve("adapter_config.json").toFile(), Map.class);
        assertEquals("TRAINABLE_TOKENS", config.get("peft_type"));
        assertEquals(List.of(7, 2), config.get("token_indices"));
        assertEquals(List.of("lin0"), config.get("target_modules"));
        try (ToyMlp fresh = new ToyMlp(3)) {
            PeftModel.load(fresh, dir, false);
            assertArrayEquals(trained, fresh.parameters().get("lin0.weight").toFloatArray(), 0f);
        }
    }

    @Test
    void aDeltaOfAnotherShapeIsRefusedNamingKeyExpectedAndFound() throws IOException {
        try (ToyMlp model = new ToyMlp(3)) {
            Peft.wrap(model, rows(1, 4, 7)).save(dir);
        }
        // a hand edit of the config: two indices for a file of three rows (the manifest goes, as a hand edit leaves
        // it stale; the tensor file is unchanged, so its digest in the config still holds)
        Path configFile = dir.resolve("adapter_config.json");
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> config = json.readValue(configFile.toFile(), LinkedHashMap.class);
        config.put("token_indices", List.of(1, 4));
        Files.writeString(configFile, json.writeValueAsString(config));
        Files.delete(dir.resolve(DirectoryManifest.FILE_NAME));
        try (ToyMlp model = new ToyMlp(3)) {
            float[] base = model.parameters().get("lin0.weight").toFloatArray();
            PeftModel peft = Peft.empty(model);
            AdapterFormatException e = assertThrows(AdapterFormatException.class,
                    () -> peft.loadAdapter(dir, PeftModel.DEFAULT_ADAPTER, false));
            assertEquals(DELTA_KEY, e.key());
            assertEquals("shape " + new Shape(2, 10), e.expected());
            assertEquals("shape " + new Shape(3, 10), e.found());
            assertTrue(e.fix().contains("one row per index the config lists (2)"), e.getMessage());
            assertTrue(peft.adapterNames().isEmpty(), "a refused load attaches nothing");
            assertArrayEquals(base, model.parameters().get("lin0.weight").toFloatArray(), 0f);
        }
    }

    @Test
    void badIndicesAndTargetsAreRefusedWhenTheAdapterAttaches() {
        IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class, () -> rows(3, 5, 3));
        assertTrue(duplicate.getMessage().contains("Token index 3 appears twice in [3, 5, 3]"),
                duplicate.getMessage());
        assertThrows(IllegalArgumentException.class, () -> rows(-1));
        assertThrows(IllegalArgumentException.class, () -> rows());
        try (ToyMlp model = new ToyMlp(3)) {
            IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                    () -> Peft.wrap(model, rows(2, 20)));
            assertTrue(range.getMessage().contains("token index 20 is outside lin0.weight of ToyMlp, which has rows "
                    + "0..19"), range.getMessage());
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> Peft.wrap(model,
                    TrainableTokensConfig.builder().optTargetModules("embed_tokens").setTokenIndices(0).build()));
            assertTrue(none.getMessage().contains("matched no weight of ToyMlp; its 2-D weights are in the modules "
                    + "[lin0 (20, 10), lin1 (2, 20)]"), none.getMessage());
            assertFalse(model.parameters().get("lin0.weight").hasGradient(), "a refused wrap trains nothing");
        }
        IllegalArgumentException flat = assertThrows(IllegalArgumentException.class, () -> rows(0)
                .checkSelection("M", Map.of("norm.weight", new Shape(32)), Map.of("norm.weight", new Shape(32))));
        assertTrue(flat.getMessage().contains("norm.weight of M has shape (32), not a 2-D table"), flat.getMessage());
    }
}
