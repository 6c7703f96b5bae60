package dev.peft4j.core.adapter;

import static dev.peft4j.core.adapter.PeftModelTest.assertClose;
import static dev.peft4j.core.adapter.PeftModelTest.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.DirectoryManifest;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.method.loldu.LolduInit;
import dev.peft4j.core.nd.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AdapterFilesTest {

    @TempDir
    Path tmp;

    /** A wrapped toy model whose adapter and head have moved away from their initial values. */
    private static PeftModel trained(ToyMlp model) {
        PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(6).optInit(LolduInit.NORMAL)
                .optTargetModules(TargetModules.allLinear()).optModulesToSave("lin1").optTrainSigma(true).build());
        peft.trainableParameters().values().forEach(t -> {
            float[] v = t.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = v[i] * 1.5f + 0.1f * i;
            }
            Tensors.overwrite(t, v);
        });
        return peft;
    }

    @ParameterizedTest
    @EnumSource(SaveMode.class)
    void saveThenLoadKeepsTheOutputAndTrainableCount(SaveMode mode) throws IOException {
        float[] expected;
        long trainable;
        try (ToyMlp model = new ToyMlp(11); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = trained(model);
            expected = run(model, m);
            trainable = PeftModel.count(peft.trainableParameters());
            peft.save(tmp, mode);
        }
        try (ToyMlp model = new ToyMlp(11); NDManager m = NDManager.newBaseManager()) {
            float[] base = run(model, m);
            PeftModel loaded = PeftModel.load(model, tmp, true);
            // fp32 tensors round-trip bit for bit, and the same tensors through the same kernels give the same bits
            assertArrayEquals(expected, run(model, m), "save/load round trip must be exact");
            assertEquals(trainable, PeftModel.count(loaded.trainableParameters()));
            loaded.unload();
            assertArrayEquals(base, run(model, m), 0f);
        }
        try (ToyMlp model = new ToyMlp(11); NDManager m = NDManager.newBaseManager()) {
            PeftModel frozen = PeftModel.load(model, tmp, false);
            assertEquals(0, PeftModel.count(frozen.trainableParameters()), "a frozen load trains nothing");
            // a frozen LoLDU layer computes its scale once, with the same ops: the same bits
            assertArrayEquals(expected, run(model, m), "a frozen load must give the trained output exactly");
            frozen.merge(); // the merged weight sums the delta into W first: another rounding, a few ulp (see
            assertClose(expected, run(model, m), 1e-5); // AdapterSelectionForwardTest.GROUPED_TOLERANCE)
        }
        Map<?, ?> config = new ObjectMapper().readValue(tmp.resolve("adapter_config.json").toFile(), Map.class);
        assertEquals("LOLDU", config.get("peft_type"));
        assertTrue(SafeTensors.read(tmp.resolve("adapter_model.safetensors")).tensors()
                .containsKey("base_model.model.lin0.loldu_z"));
    }

    @Test
    void nonDefaultAdaptersGoToSubFolders() throws IOException {
        try (ToyMlp model = new ToyMlp(12)) {
            PeftModel peft = trained(model);
            peft.addAdapter("second", LolduConfig.builder().setRank(3).optTargetModules("lin0").build());
            peft.save(tmp);
            assertTrue(Files.exists(tmp.resolve("adapter_config.json")));
            assertTrue(Files.exists(tmp.resolve("second/adapter_model.safetensors")));
        }
    }

    @Test
    void fingerprintMismatchIsRejectedInCompactMode() throws IOException {
        try (ToyMlp model = new ToyMlp(13)) {
            trained(model).save(tmp);
        }
        try (ToyMlp otherBase = new ToyMlp(14)) {
            AdapterFormatException e = assertThrows(AdapterFormatException.class,
                    () -> PeftModel.load(otherBase, tmp, false));
            assertTrue(e.getMessage().contains("peft4j.base_sha256.lin0"), e.getMessage());
            assertTrue(e.getMessage().contains("PORTABLE"), e.getMessage());
            assertTrue(otherBase.linearLayers().get("lin0").adapterNames().isEmpty(), "failed load leaves no adapter");
        }
    }

    @Test
    void theCachedBaseFingerprintFollowsAMergeIntoTheBase() throws IOException {
        // the fingerprint is cached per slot; merging an adapter into the base changes the weight, so an adapter of
        // the original base must then be refused, and one saved on the merged base must name the merged weights
        Path original = tmp.resolve("original");
        Path onMerged = tmp.resolve("on-merged");
        try (ToyMlp model = new ToyMlp(15)) {
            PeftModel peft = trained(model);
            peft.save(original);
            peft.mergeAndUnload();
            assertThrows(AdapterFormatException.class, () -> PeftModel.load(model, original, false));
            Peft.wrap(model, LolduConfig.builder().setRank(3).optTargetModules("lin0").build()).save(onMerged);
        }
        try (ToyMlp fresh = new ToyMlp(15)) {
            assertThrows(AdapterFormatException.class, () -> PeftModel.load(fresh, onMerged, false),
                    "an adapter saved on the merged base names the merged weights, not the original ones");
            PeftModel.load(fresh, original, false).unload(); // the first adapter still loads on the original base
        }
    }

    private void rewriteTensors(java.util.function.Consumer<Map<String, TensorData>> edit) throws IOException {
        Path file = tmp.resolve("adapter_model.safetensors");
        SafeTensors.Loaded loaded = SafeTensors.read(file);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        loaded.tensors().forEach((k, v) -> tensors.put(k, TensorData.ofFloats(v.shape(), v.asFloats())));
        edit.accept(tensors);
        SafeTensors.write(file, tensors, loaded.metadata());
        // a hand-edited directory without manifest (as saved before manifests existed), and the config's digest
        // dropped, so that the strict tensor checks are what fails
        Files.deleteIfExists(tmp.resolve(DirectoryManifest.FILE_NAME));
        Path config = tmp.resolve("adapter_config.json");
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> cfg = json.readValue(config.toFile(), Map.class);
        cfg.remove("peft4j_weights_sha256");
        Files.writeString(config, json.writeValueAsString(cfg));
    }

    private String loadError() {
        try (ToyMlp model = new ToyMlp(15)) {
            return assertThrows(AdapterFormatException.class, () -> PeftModel.load(model, tmp, false)).getMessage();
        }
    }

    @Test
    void strictLoadNamesTheKeyExpectedAndFound() throws IOException {
        try (ToyMlp model = new ToyMlp(15)) {
            trained(model).save(tmp);
        }
        rewriteTensors(t -> t.remove("base_model.model.lin0.loldu_z"));
        String missing = loadError();
        assertTrue(missing.contains("base_model.model.lin0.loldu_z") && missing.contains("no such key"), missing);

        rewriteTensors(t -> t.put("base_model.model.lin0.loldu_z", TensorData.ofFloats(new long[] {5}, new float[5])));
        String shape = loadError();
        assertTrue(shape.contains("shape (6)") && shape.contains("shape (5)"), shape);

        float[] nan = new float[6];
        nan[2] = Float.NaN;
        rewriteTensors(t -> t.put("base_model.model.lin0.loldu_z", TensorData.ofFloats(new long[] {6}, nan)));
        String nonFinite = loadError();
        assertTrue(nonFinite.contains("NaN at flat index 2"), nonFinite);

        rewriteTensors(t -> {
            t.put("base_model.model.lin0.loldu_z", TensorData.ofFloats(new long[] {6}, new float[6]));
            t.put("base_model.model.lin9.loldu_z", TensorData.ofFloats(new long[] {1}, new float[1]));
        });
        String extra = loadError();
        assertTrue(extra.contains("base_model.model.lin9.loldu_z") && extra.contains("unexpected"), extra);
    }

    @Test
    void halfSavedAdapterIsDetected() throws IOException {
        try (ToyMlp model = new ToyMlp(16)) {
            PeftModel peft = trained(model);
            peft.save(tmp);
            // simulate a crash after the tensors were replaced but before the config was
            byte[] oldConfig = Files.readAllBytes(tmp.resolve("adapter_config.json"));
            peft.trainableParameters().values().iterator().next().muli(2);
            peft.save(tmp);
            Files.write(tmp.resolve("adapter_config.json"), oldConfig);
        }
        try (ToyMlp model = new ToyMlp(16)) {
            var e = assertThrows(AdapterFormatException.class, () -> PeftModel.load(model, tmp, false));
            assertTrue(e.getMessage().contains("saved incompletely"), e.getMessage());
        }
    }

    @Test
    void loraExportReproducesTheMergedWeight() throws IOException {
        try (ToyMlp model = new ToyMlp(17); NDManager m = NDManager.newBaseManager()) {
            PeftModel peft = trained(model);
            Map<String, float[]> merged = new LinkedHashMap<>();
            for (LinearSlot slot : model.linearLayers().values()) {
                merged.put(slot.name(), slot.effectiveWeight().toFloatArray());
            }
            peft.exportLora(tmp);
            SafeTensors.Loaded lora = SafeTensors.read(tmp.resolve("adapter_model.safetensors"));
            Map<?, ?> config = new ObjectMapper().readValue(tmp.resolve("adapter_config.json").toFile(), Map.class);
            assertEquals("LORA", config.get("peft_type"));
            assertEquals(config.get("r"), config.get("lora_alpha"));
            LinearSlot lin0 = model.linearLayers().get("lin0");
            TensorData a = lora.tensors().get("base_model.model.lin0.lora_A.weight");
            TensorData b = lora.tensors().get("base_model.model.lin0.lora_B.weight");
            assertArrayEquals(new long[] {6, 10}, a.shape());
            assertArrayEquals(new long[] {20, 6}, b.shape());
            NDArray w = lin0.weight();
            NDArray reconstructed = w.add(m.create(b.asFloats(), new Shape(b.shape()))
                    .matMul(m.create(a.asFloats(), new Shape(a.shape()))));
            // W + B A (r = 6 products per entry) vs the merged weight: ~(r + 2)·u ≈ 5e-7 of the terms; 1e-5 relative
            assertClose(merged.get("lin0"), reconstructed.toFloatArray(), 1e-5);
            assertTrue(lora.tensors().containsKey("base_model.model.lin1.weight"), "head saved with the LoRA export");
        }
    }
}
