package dev.peft4j.core.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.DirectoryManifest;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import dev.peft4j.core.method.loldu.LolduConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Absurd tensor values, config fields of the wrong type or range, and base fingerprints in portable mode. */
class AdapterLoadStrictnessTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private void saveLoldu(long seed, SaveMode mode) throws IOException {
        try (ToyMlp model = new ToyMlp(seed)) {
            Peft.wrap(model, LolduConfig.builder().setRank(6).optTargetModules(TargetModules.allLinear()).build())
                    .save(dir, mode);
        }
    }

    /** Edits adapter_config.json by hand (the manifest goes, as a hand edit would leave it stale). */
    private void editConfig(Consumer<Map<String, Object>> edit) throws IOException {
        Path file = dir.resolve("adapter_config.json");
        @SuppressWarnings("unchecked")
        Map<String, Object> config = JSON.readValue(file.toFile(), LinkedHashMap.class);
        edit.accept(config);
        Files.writeString(file, JSON.writeValueAsString(config));
        Files.deleteIfExists(dir.resolve(DirectoryManifest.FILE_NAME));
    }

    private AdapterFormatException loadFails(long seed) {
        try (ToyMlp model = new ToyMlp(seed)) {
            return assertThrows(AdapterFormatException.class, () -> PeftModel.load(model, dir, false));
        }
    }

    @Test
    void finiteButAbsurdValuesAreRefusedNamingKeyBoundAndValue() throws IOException {
        saveLoldu(41, SaveMode.COMPACT);
        Path file = dir.resolve("adapter_model.safetensors");
        SafeTensors.Loaded loaded = SafeTensors.read(file);
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        loaded.tensors().forEach((k, v) -> tensors.put(k, TensorData.ofFloats(v.shape(), v.asFloats())));
        float[] z = tensors.get("base_model.model.lin0.loldu_z").asFloats();
        z[3] = 3e38f;
        tensors.put("base_model.model.lin0.loldu_z", TensorData.ofFloats(new long[] {z.length}, z));
        SafeTensors.write(file, tensors, loaded.metadata());
        editConfig(c -> c.remove("peft4j_weights_sha256"));

        AdapterFormatException e = loadFails(41);
        assertEquals("base_model.model.lin0.loldu_z", e.key());
        assertTrue(e.expected().contains("|x| <= ") && e.expected().contains("max |W|"), e.getMessage());
        assertTrue(e.found().contains("3.0E38 at flat index 3"), e.getMessage());
    }

    @Test
    void aFractionalRankIsNotTruncated() throws IOException {
        saveLoldu(42, SaveMode.COMPACT);
        editConfig(c -> c.put("r", 64.7));
        AdapterFormatException e = loadFails(42);
        assertEquals("r", e.key());
        assertTrue(e.found().contains("64.7") && e.found().contains("fraction"), e.getMessage());
        assertTrue(e.getMessage().contains("adapter_config.json"), e.getMessage());
    }

    @Test
    void wrongJsonTypesNameTheFieldExpectedAndFound() throws IOException {
        saveLoldu(43, SaveMode.COMPACT);
        editConfig(c -> c.put("r", "64"));
        AdapterFormatException quoted = loadFails(43);
        assertEquals("r", quoted.key());
        assertTrue(quoted.expected().contains("positive integer") && quoted.found().contains("(a string)"),
                quoted.getMessage());

        editConfig(c -> c.remove("r"));
        AdapterFormatException missing = loadFails(43);
        assertEquals("r", missing.key());
        assertTrue(missing.found().contains("required"), missing.getMessage());

        editConfig(c -> {
            c.put("r", 6);
            c.put("peft4j_weights_sha256", 5);
        });
        AdapterFormatException digest = loadFails(43);
        assertEquals("peft4j_weights_sha256", digest.key());
        assertTrue(digest.expected().contains("a string") && digest.found().contains("5 (a number)"),
                digest.getMessage());

        editConfig(c -> {
            c.remove("peft4j_weights_sha256");
            c.put("r", -3);
        });
        assertEquals("r", loadFails(43).key());

        editConfig(c -> {
            c.put("r", 6);
            c.put("train_sigma", "yes");
        });
        assertEquals("train_sigma", loadFails(43).key());

        editConfig(c -> {
            c.put("train_sigma", false);
            c.put("modules_to_save", List.of(7));
        });
        assertEquals("modules_to_save", loadFails(43).key());

        editConfig(c -> {
            c.remove("modules_to_save");
            c.put("save_mode", "portabel");
        });
        assertEquals("save_mode", loadFails(43).key());

        editConfig(c -> {
            c.put("save_mode", "compact");
            c.put("peft_type", List.of("LOLDU"));
        });
        assertEquals("peft_type", loadFails(43).key());
    }

    @Test
    void everyMethodChecksItsCountsAndTypes() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("target_modules", List.of("lin0"));
        json.put("r", 8.5);
        for (AdapterMethod method : AdapterRegistry.defaultRegistry().methods().values()) {
            if (method.peftType().equals("LORA") || method.peftType().equals("PISSA")
                    || method.peftType().equals("SVFIT") || method.peftType().equals("VERA")
                    || method.peftType().equals("LOLDU")) {
                ConfigFields.FieldException e = assertThrows(ConfigFields.FieldException.class,
                        () -> method.configFromJson(json), method.peftType());
                assertEquals("r", e.field(), method.peftType());
            }
        }
        Map<String, Object> fourier = new LinkedHashMap<>(Map.of("target_modules", List.of("lin0"),
                "n_frequency", "1000"));
        ConfigFields.FieldException e = assertThrows(ConfigFields.FieldException.class,
                () -> AdapterRegistry.defaultRegistry().byPeftType("FOURIERFT").configFromJson(fourier));
        assertEquals("n_frequency", e.field());
    }

    @Test
    void integralDoublesAreAcceptedAsIntegers() {
        assertEquals(64, ConfigFields.positiveInt(Map.of("r", 64.0), "r"));
        assertThrows(ConfigFields.FieldException.class, () -> ConfigFields.positiveInt(Map.of("r", 3e10), "r"));
        assertEquals(-5L, ConfigFields.integer(Map.of("seed", -5), "seed", 0));
    }

    @ParameterizedTest
    @EnumSource(SaveMode.class)
    void anotherBaseIsRefusedInEitherModeNamingModuleAndBothDigests(SaveMode mode) throws IOException {
        saveLoldu(44, mode);
        AdapterFormatException e = loadFails(45);
        assertTrue(e.key().startsWith("peft4j.base_sha256.lin"), e.getMessage());
        assertTrue(e.expected().contains("module lin") && e.expected().matches(".*[0-9a-f]{64}.*")
                && e.found().matches("SHA-256 [0-9a-f]{64}"), e.getMessage());
        assertTrue(e.fix().contains("allowOtherBase"), e.getMessage());
    }

    @Test
    void allowOtherBaseLoadsAPortableAdapterWithOneWarning() throws IOException {
        saveLoldu(46, SaveMode.PORTABLE);
        List<LogRecord> warnings = new java.util.ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                warnings.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger(AdapterFiles.class.getName());
        logger.addHandler(capture);
        try (ToyMlp other = new ToyMlp(47)) {
            PeftModel peft = PeftModel.load(other, dir, false, LoadOptions.strict().withAllowOtherBase(true));
            assertEquals(List.of("default"), List.copyOf(peft.adapterNames()));
        } finally {
            logger.removeHandler(capture);
        }
        assertEquals(1, warnings.size(), "one warning for the whole load");
        assertTrue(warnings.get(0).getMessage().contains("lin0") && warnings.get(0).getMessage().contains("differ"),
                warnings.get(0).getMessage());
    }
}
