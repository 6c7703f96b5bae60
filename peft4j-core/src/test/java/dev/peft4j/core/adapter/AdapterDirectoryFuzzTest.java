package dev.peft4j.core.adapter;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.ByteMutator;
import dev.peft4j.core.io.DirectoryManifest;
import dev.peft4j.core.method.loldu.LolduConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of each file of a small valid adapter directory (the config, the tensors, the manifest), loaded
 * strictly: the load succeeds or throws {@link AdapterFormatException}; any other exception, an OOM or a hang fails.
 * The config's and the manifest's digests are removed for the config and tensor mutations, so that the parsers and
 * the strict checks behind them are what the mutations reach.
 */
class AdapterDirectoryFuzzTest {

    private static final int MUTATIONS_PER_FILE = 1000;
    private static final Duration BUDGET_PER_FILE = Duration.ofMillis(1000);

    @TempDir
    Path dir;

    @Test
    void mutatedAdapterDirectoriesLoadOrFailWithTheFormatExceptionOnly() throws IOException {
        try (ToyMlp model = new ToyMlp(51)) {
            Peft.wrap(model, LolduConfig.builder().setRank(4).optTargetModules(TargetModules.allLinear())
                    .optModulesToSave("lin1").build()).save(dir);
        }
        Map<String, byte[]> withManifest = snapshot();
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> config = json.readValue(withManifest.get("adapter_config.json"), LinkedHashMap.class);
        config.remove("peft4j_weights_sha256");
        Map<String, byte[]> unchecked = new LinkedHashMap<>(withManifest);
        unchecked.remove(DirectoryManifest.FILE_NAME);
        unchecked.put("adapter_config.json", json.writeValueAsBytes(config));

        ByteMutator mutator = new ByteMutator(7L);
        try (ToyMlp model = new ToyMlp(51)) {
            assertTimeoutPreemptively(BUDGET_PER_FILE.multipliedBy(3 * 10), () -> {
                fuzz(model, mutator, unchecked, "adapter_config.json");
                fuzz(model, mutator, unchecked, "adapter_model.safetensors");
                fuzz(model, mutator, withManifest, DirectoryManifest.FILE_NAME);
            });
        }
    }

    private void fuzz(ToyMlp model, ByteMutator mutator, Map<String, byte[]> valid, String target) throws IOException {
        long deadline = System.nanoTime() + BUDGET_PER_FILE.toNanos();
        for (int i = 0; i < MUTATIONS_PER_FILE && System.nanoTime() < deadline; i++) {
            restore(valid);
            byte[] mutated = mutator.mutate(valid.get(target));
            Files.write(dir.resolve(target), mutated);
            try {
                PeftModel.load(model, dir, false).unload();
            } catch (AdapterFormatException expected) {
                // the documented failure
            } catch (IOException | RuntimeException | Error e) {
                fail("mutation " + i + " of " + target + " threw " + e + "; mutated file:\n"
                        + new String(mutated, java.nio.charset.StandardCharsets.ISO_8859_1), e);
            }
        }
    }

    private Map<String, byte[]> snapshot() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : new String[] {"adapter_config.json", "adapter_model.safetensors",
            DirectoryManifest.FILE_NAME}) {
            files.put(name, Files.readAllBytes(dir.resolve(name)));
        }
        return files;
    }

    private void restore(Map<String, byte[]> files) throws IOException {
        Files.deleteIfExists(dir.resolve(DirectoryManifest.FILE_NAME));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Files.write(dir.resolve(file.getKey()), file.getValue());
        }
    }
}
