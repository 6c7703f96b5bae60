package dev.peft4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real clients (apt-get, npm, mvn) against a fresh cache folder. */
class ArtifactCacheIT {

    @TempDir
    Path dir;

    @Test
    void unknownDebianPackageSaysToRunAptGetUpdateAndLeavesNothingBehind() throws IOException {
        ArtifactCache cache = new ArtifactCache(dir);
        IOException e = assertThrows(IOException.class, () -> cache.debianPackage("peft4j-no-such-package"));
        String message = e.getMessage();
        assertTrue(message.startsWith("Could not fetch Debian package peft4j-no-such-package: `apt-get download "
                + "peft4j-no-such-package` (in "), message);
        assertTrue(message.contains("exited with code 100"), message);
        assertTrue(message.contains("Unable to locate package peft4j-no-such-package"), message);
        assertTrue(message.contains("run `apt-get update`"), message);
        assertTrue(Files.notExists(dir.resolve("debian/peft4j-no-such-package")));
        assertEquals(List.of(), children(dir.resolve(".tmp")), "temp folders are removed");
    }

    @Test
    void unknownNpmPackageNamesPackageCommandAndExitCode() {
        ArtifactCache cache = new ArtifactCache(dir);
        IOException e = assertThrows(IOException.class, () -> cache.npmPackage("@peft4j-none/nothing@0.0.1"));
        assertTrue(e.getMessage().startsWith("Could not fetch npm package @peft4j-none/nothing@0.0.1: `npm pack "
                + "@peft4j-none/nothing@0.0.1` (in "), e.getMessage());
        assertTrue(e.getMessage().matches("(?s).*exited with code [1-9][0-9]*\\. Last lines of its output:\n.*404.*"),
                e.getMessage());
    }

    @Test
    void mavenArtifactIsCopiedOnceAndReused() throws IOException {
        ArtifactCache cache = new ArtifactCache(dir);
        Path jar = cache.mavenArtifact("org.apache.commons:commons-csv:1.14.1");
        assertEquals(dir.resolve("maven/org.apache.commons/commons-csv/1.14.1/commons-csv-1.14.1.jar"), jar);
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            assertTrue(zip.getEntry("org/apache/commons/csv/CSVFormat.class") != null);
        }
        long start = System.nanoTime();
        assertEquals(jar, cache.mavenArtifact("org.apache.commons:commons-csv:1.14.1"));
        assertTrue(System.nanoTime() - start < 1_000_000_000L, "the second call must not run mvn");
    }

    private static List<Path> children(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.toList();
        }
    }
}
