package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Thousands of seeded mutations of a small valid safetensors file: the reader either reads it or throws its
 * documented {@link AdapterFormatException}; anything else (a RuntimeException, an OOM, a hang) fails the test.
 */
class SafeTensorsFuzzTest {

    static final int MUTATIONS = 3000;
    static final Duration BUDGET = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void mutatedFilesReadOrFailWithTheFormatExceptionOnly() throws IOException {
        Path file = dir.resolve("t.safetensors");
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("a", TensorData.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        tensors.put("b", TensorData.ofLongs(new long[] {2}, new long[] {7, 8}));
        tensors.put("scalar", TensorData.ofFloats(new long[] {}, new float[] {9}));
        SafeTensors.write(file, tensors, Map.of("format", "pt"));
        byte[] valid = Files.readAllBytes(file);
        ByteMutator mutator = new ByteMutator(20240601L);
        assertTimeoutPreemptively(BUDGET.multipliedBy(5), () -> {
            long deadline = System.nanoTime() + BUDGET.toNanos();
            for (int i = 0; i < MUTATIONS && System.nanoTime() < deadline; i++) {
                byte[] mutated = mutator.mutate(valid);
                Files.write(file, mutated);
                try {
                    SafeTensors.Loaded loaded = SafeTensors.read(file);
                    loaded.tensors().values().forEach(TensorData::asBytes); // touch every mapped byte
                } catch (AdapterFormatException expected) {
                    // the documented failure
                } catch (IOException | RuntimeException | Error e) {
                    fail("mutation " + i + " (" + mutated.length + " bytes) threw " + e, e);
                }
            }
        });
    }
}
