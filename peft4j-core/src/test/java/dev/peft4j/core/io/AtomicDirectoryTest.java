package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AtomicDirectoryTest {

    /** Thrown by a hook to stand for kill -9: an Error, so the writer runs none of its clean-up. */
    static final class SimulatedKill extends Error {
        private static final long serialVersionUID = 1L;

        SimulatedKill(String where) {
            super("simulated kill at " + where);
        }
    }

    @TempDir
    Path parent;

    private static final Map<String, String> OLD = Map.of("adapter_config.json", "old config",
            "adapter_model.safetensors", "old tensors", "only_in_old.txt", "old extra");
    private static final Map<String, String> NEW = Map.of("adapter_config.json", "new config",
            "adapter_model.safetensors", "new tensors");

    private static AtomicFiles.IoConsumer<Path> writing(Map<String, String> files) {
        return dir -> {
            for (Map.Entry<String, String> file : files.entrySet()) {
                AtomicFiles.writeString(dir.resolve(file.getKey()), file.getValue());
            }
        };
    }

    /** What a reader sees: the verified files of the directory, the manifest and sub-folders left out. */
    private static Map<String, String> read(Path target) throws IOException {
        Path dir = AtomicDirectory.openForRead(target);
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                if (Files.isRegularFile(p) && !name.equals(DirectoryManifest.FILE_NAME)) {
                    files.put(name, Files.readString(p, StandardCharsets.UTF_8));
                }
            }
        }
        return files;
    }

    private Path targetWithOldContent() throws IOException {
        Path target = parent.resolve("adapter");
        AtomicDirectory.replace(target, writing(OLD));
        // another adapter's sub-folder, which a replace of the parent adapter must keep
        Files.createDirectories(target.resolve("second"));
        Files.writeString(target.resolve("second/adapter_config.json"), "second adapter");
        return target;
    }

    private void assertOldOrNewAndSecondKept(Path target, AtomicDirectory.Step step) throws IOException {
        Map<String, String> seen = read(target);
        assertTrue(seen.equals(new TreeMap<>(OLD)) || seen.equals(new TreeMap<>(NEW)),
                "after a kill at " + step + " a reader must see the old or the new content, saw " + seen);
        assertEquals("second adapter", Files.readString(target.resolve("second/adapter_config.json")),
                "the other adapter's sub-folder survives a kill at " + step);
        try (Stream<Path> siblings = Files.list(parent)) {
            long leftovers = siblings.filter(p -> p.getFileName().toString().contains(".peft4j-old")
                    || p.getFileName().toString().contains(".peft4j-trash")).count();
            assertEquals(0, leftovers, "recovery leaves no aside or trash copy after a kill at " + step);
        }
    }

    @ParameterizedTest
    @EnumSource(AtomicDirectory.Step.class)
    void killAtAnyStepLeavesTheOldOrTheNewContentNeverAMix(AtomicDirectory.Step killAt) throws IOException {
        Path target = targetWithOldContent();
        assertThrows(SimulatedKill.class, () -> AtomicDirectory.replace(target, writing(NEW), step -> {
            if (step == killAt) {
                throw new SimulatedKill(step.name());
            }
        }));
        assertOldOrNewAndSecondKept(target, killAt);
        // and the next write after the kill succeeds and is complete
        AtomicDirectory.replace(target, writing(NEW));
        assertEquals(new TreeMap<>(NEW), read(target));
        assertEquals("second adapter", Files.readString(target.resolve("second/adapter_config.json")));
    }

    @Test
    void killHalfWayThroughTheWriterLeavesTheOldContent() throws IOException {
        Path target = targetWithOldContent();
        assertThrows(SimulatedKill.class, () -> AtomicDirectory.replace(target, dir -> {
            AtomicFiles.writeString(dir.resolve("adapter_config.json"), "new config");
            throw new SimulatedKill("between the config and the tensors");
        }));
        assertEquals(new TreeMap<>(OLD), read(target));
    }

    @ParameterizedTest
    @EnumSource(value = AtomicDirectory.Step.class, names = {"FILES_WRITTEN", "MANIFEST_WRITTEN", "OLD_ASIDE"})
    void failureBeforeTheSwapPutsTheOldContentBack(AtomicDirectory.Step failAt) throws IOException {
        Path target = targetWithOldContent();
        IOException failure = new IOException("disk full");
        assertThrows(IOException.class, () -> AtomicDirectory.replace(target, writing(NEW), step -> {
            if (step == failAt) {
                throw failure;
            }
        }));
        assertTrue(Files.isDirectory(target), "the old content is back in place without a recovery");
        assertEquals(new TreeMap<>(OLD), read(target));
        try (Stream<Path> siblings = Files.list(parent)) {
            assertEquals(1, siblings.count(), "nothing is left beside the target after a failed replace");
        }
    }

    @Test
    void readerRecoversTheAsideCopyWhenTheTargetIsMissing() throws IOException {
        Path target = targetWithOldContent();
        assertThrows(SimulatedKill.class, () -> AtomicDirectory.replace(target, writing(NEW), step -> {
            if (step == AtomicDirectory.Step.OLD_ASIDE) {
                throw new SimulatedKill(step.name());
            }
        }));
        assertFalse(Files.exists(target), "killed between the two renames, the target is missing");
        assertEquals(new TreeMap<>(OLD), read(target));
        assertTrue(Files.isDirectory(target), "the reader renamed the old content back");
    }

    @Test
    void aTamperedFileFailsTheDigestNamingTheFile() throws IOException {
        Path target = parent.resolve("merged");
        AtomicDirectory.replace(target, writing(NEW));
        Files.writeString(target.resolve("adapter_model.safetensors"), "new tensorz");
        AdapterFormatException e = assertThrows(AdapterFormatException.class, () -> AtomicDirectory.openForRead(target));
        assertEquals("adapter_model.safetensors", e.key());
        assertTrue(e.getMessage().contains("SHA-256") && e.getMessage().contains("adapter_model.safetensors"),
                e.getMessage());

        Files.delete(target.resolve("adapter_model.safetensors"));
        AdapterFormatException missing = assertThrows(AdapterFormatException.class,
                () -> AtomicDirectory.openForRead(target));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
    }

    @Test
    void aDirectoryWithoutManifestIsReadUnchecked() throws IOException {
        Path legacy = parent.resolve("legacy");
        Files.createDirectories(legacy);
        Files.writeString(legacy.resolve("adapter_config.json"), "{}");
        assertEquals(Map.of("adapter_config.json", "{}"), read(legacy));
    }

    @Test
    void aFileInPlaceOfTheDirectoryIsRefused() throws IOException {
        Path file = parent.resolve("adapter");
        Files.writeString(file, "not a directory");
        assertThrows(IOException.class, () -> AtomicDirectory.replace(file, writing(NEW)));
        assertEquals("not a directory", Files.readString(file));
    }
}
