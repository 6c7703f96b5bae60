package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    @Test
    void crashMidSaveLeavesThePreviousFileByteIdentical() throws IOException {
        Path file = dir.resolve("adapter_model.safetensors");
        SafeTensors.write(file, Map.of("z", TensorData.ofFloats(new long[] {4}, new float[] {1, 2, 3, 4})),
                Map.of("format", "pt"));
        byte[] before = Files.readAllBytes(file);

        IOException crash = new IOException("simulated crash");
        byte[] half = new byte[1 << 17]; // more than the 64 KiB buffer, so part of it reaches the temp file
        IOException thrown = assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
            out.write(half);
            throw crash;
        }));

        assertSame(crash, thrown);
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of(file), listDir(), "no temp file left behind");
        assertArrayEquals(new float[] {1, 2, 3, 4}, SafeTensors.read(file).tensors().get("z").asFloats());
    }

    /**
     * A real crash: a second JVM halts (no finally blocks, no cleanup) halfway through replacing the
     * file. The old file must survive byte for byte; only a hidden temp file may be left over.
     */
    @Test
    void processKilledMidSaveLeavesThePreviousFileByteIdentical() throws Exception {
        Path file = dir.resolve("adapter_model.safetensors");
        SafeTensors.write(file, Map.of("z", TensorData.ofFloats(new long[] {2}, new float[] {5, 6})), Map.of());
        byte[] before = Files.readAllBytes(file);

        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), HaltMidSave.class.getName(), file.toString())
                .redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes());
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");

        assertEquals(HaltMidSave.EXIT_CODE, child.exitValue(), output);
        assertArrayEquals(before, Files.readAllBytes(file));
        List<Path> leftovers = listDir().stream().filter(p -> !p.equals(file)).toList();
        assertEquals(1, leftovers.size(), "the half-written temp file: " + leftovers);
        assertTrue(leftovers.get(0).getFileName().toString().startsWith(".adapter_model.safetensors."),
                leftovers.toString());
        assertTrue(Files.size(leftovers.get(0)) >= 1 << 17, "the child really wrote before dying");
    }

    /** Run in a child JVM: starts replacing the file given as argument, then dies without cleanup. */
    static final class HaltMidSave {
        static final int EXIT_CODE = 57;

        public static void main(String[] args) throws IOException {
            AtomicFiles.write(Path.of(args[0]), out -> {
                out.write(new byte[1 << 18]);
                out.flush();
                Runtime.getRuntime().halt(EXIT_CODE);
            });
        }
    }

    @Test
    void aRuntimeExceptionInTheBodyAlsoLeavesNoTrace() throws IOException {
        Path file = dir.resolve("adapter_config.json");
        AtomicFiles.writeString(file, "{\"r\": 8}");
        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(file, out -> {
            out.write("{\"r\": 1".getBytes());
            throw new IllegalStateException("tensor closed");
        }));
        assertEquals("{\"r\": 8}", Files.readString(file));
        assertEquals(List.of(file), listDir());
    }

    @Test
    void aFailedFirstSaveCreatesNothing() throws IOException {
        Path file = dir.resolve("new.safetensors");
        assertThrows(IOException.class, () -> AtomicFiles.write(file, out -> {
            out.write(1);
            throw new IOException("disk full");
        }));
        assertFalse(Files.exists(file));
        assertEquals(List.of(), listDir());
    }

    @Test
    void replacesTheFileCompletely() throws IOException {
        Path file = dir.resolve("notes.txt");
        AtomicFiles.writeString(file, "a much longer first version of the text");
        AtomicFiles.writeString(file, "short ü");
        assertEquals("short ü", Files.readString(file));
        assertEquals(List.of(file), listDir());
    }

    @Test
    void aBodyThatClosesTheStreamStillCommits() throws IOException {
        Path file = dir.resolve("closed.bin");
        AtomicFiles.write(file, out -> {
            out.write(new byte[] {1, 2, 3});
            out.close();
        });
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file));
    }

    /** Files.createTempFile would make the target 0600 and unreadable to a server running as another user. */
    @Test
    void theTargetGetsOrdinaryPermissionsNotTempFilePermissions() throws IOException {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return; // permissions are a POSIX notion; the other tests cover the content
        }
        Path plain = Files.writeString(dir.resolve("plain.txt"), "x"); // what the umask gives a new file
        Path atomic = dir.resolve("atomic.txt");
        AtomicFiles.writeString(atomic, "x");
        Set<PosixFilePermission> expected = Files.getPosixFilePermissions(plain);
        assertEquals(expected, Files.getPosixFilePermissions(atomic));
    }

    @Test
    void aMissingDirectoryIsAnError() {
        Path file = dir.resolve("no/such/dir/file.txt");
        assertThrows(IOException.class, () -> AtomicFiles.writeString(file, "x"));
        assertTrue(Files.notExists(dir.resolve("no")));
    }

    private List<Path> listDir() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.sorted().toList();
        }
    }
}
