package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.ToyMlp;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.nd.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * kill -9 during {@code PeftModel.save} and {@code exportLora} over an existing adapter, at every step of the
 * {@link AtomicDirectory} protocol: what a loader then loads is the old adapter or the new one, bit for bit.
 */
class AdapterDirectoryCrashTest {

    @TempDir
    Path parent;

    @AfterEach
    void clearHook() {
        AtomicDirectory.THREAD_HOOK.remove();
    }

    private static PeftModel wrapped(ToyMlp model, float shift) {
        PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(6).optTargetModules(TargetModules.allLinear())
                .optTrainSigma(true).build());
        peft.trainableParameters().values().forEach(t -> {
            float[] v = t.toFloatArray();
            for (int i = 0; i < v.length; i++) {
                v[i] = v[i] * 1.5f + shift * (i + 1);
            }
            Tensors.overwrite(t, v);
        });
        return peft;
    }

    private static float[] output(ToyMlp model) {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] x = new float[3 * 10];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.sin(i);
            }
            NDArray in = m.create(x, new Shape(3, 10));
            return model.forward(in).toFloatArray();
        }
    }

    private static void killAt(AtomicDirectory.Step killAt) {
        AtomicDirectory.THREAD_HOOK.set(step -> {
            if (step == killAt) {
                throw new AtomicDirectoryTest.SimulatedKill(step.name());
            }
        });
    }

    @ParameterizedTest
    @EnumSource(AtomicDirectory.Step.class)
    void killDuringSaveLoadsTheOldOrTheNewAdapter(AtomicDirectory.Step step) throws IOException {
        Path dir = parent.resolve("adapter");
        float[] oldOut;
        float[] newOut;
        try (ToyMlp model = new ToyMlp(31)) {
            PeftModel peft = wrapped(model, 0.1f);
            oldOut = output(model);
            peft.save(dir);
            Files.writeString(dir.resolve("README.md"), "user notes beside the adapter, carried over by a save");
        }
        try (ToyMlp model = new ToyMlp(31)) {
            PeftModel peft = wrapped(model, -0.2f);
            newOut = output(model);
            killAt(step);
            assertThrows(AtomicDirectoryTest.SimulatedKill.class, () -> peft.save(dir));
            AtomicDirectory.THREAD_HOOK.remove();
        }
        try (ToyMlp model = new ToyMlp(31)) {
            PeftModel.load(model, dir, false);
            float[] loaded = output(model);
            assertTrue(Arrays.equals(loaded, oldOut) || Arrays.equals(loaded, newOut),
                    "after a kill at " + step + " the loaded adapter is the old or the new one");
            if (step.compareTo(AtomicDirectory.Step.NEW_IN_PLACE) >= 0) {
                assertArrayEquals(newOut, loaded, "once the new folder is in place the new adapter loads");
            }
            assertTrue(Files.exists(dir.resolve("README.md")), "files beside the adapter survive");
        }
    }

    @ParameterizedTest
    @EnumSource(AtomicDirectory.Step.class)
    void killDuringLoraExportLeavesOneWholeExport(AtomicDirectory.Step step) throws IOException {
        Path dir = parent.resolve("lora");
        byte[] oldConfig;
        byte[] oldTensors;
        byte[] newConfig;
        byte[] newTensors;
        try (ToyMlp model = new ToyMlp(32)) {
            wrapped(model, 0.1f).exportLora(dir);
            oldConfig = Files.readAllBytes(dir.resolve("adapter_config.json"));
            oldTensors = Files.readAllBytes(dir.resolve("adapter_model.safetensors"));
            Files.writeString(dir.resolve("README.md"), "user notes beside the export, carried over by an export");
        }
        Path reference = parent.resolve("reference");
        try (ToyMlp model = new ToyMlp(33)) {
            PeftModel peft = wrapped(model, 0.3f);
            peft.exportLora(reference);
            newConfig = Files.readAllBytes(reference.resolve("adapter_config.json"));
            newTensors = Files.readAllBytes(reference.resolve("adapter_model.safetensors"));
            killAt(step);
            assertThrows(AtomicDirectoryTest.SimulatedKill.class, () -> peft.exportLora(dir));
            AtomicDirectory.THREAD_HOOK.remove();
        }
        Path read = AtomicDirectory.openForRead(dir);
        byte[] config = Files.readAllBytes(read.resolve("adapter_config.json"));
        byte[] tensors = Files.readAllBytes(read.resolve("adapter_model.safetensors"));
        boolean old = Arrays.equals(config, oldConfig) && Arrays.equals(tensors, oldTensors);
        boolean fresh = Arrays.equals(config, newConfig) && Arrays.equals(tensors, newTensors);
        assertTrue(old || fresh, "after a kill at " + step + " the export is one whole export, config and tensors");
        try (ToyMlp model = new ToyMlp(old ? 32 : 33)) {
            PeftModel.load(model, dir, false); // and it loads, digest checked
        }
    }
}
