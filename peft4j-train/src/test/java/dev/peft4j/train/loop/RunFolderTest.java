package dev.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunFolderTest {

    @TempDir
    Path tmp;

    @Test
    void aNewFolderIsCreatedAndTheLockNamesItsOwner() throws IOException {
        Path dir = tmp.resolve("a/b/run");
        try (RunFolder folder = RunFolder.claim(dir, RunFolder.Mode.FRESH)) {
            assertTrue(Files.isDirectory(dir));
            String owner = Files.readString(dir.resolve(RunFolder.LOCK_FILE));
            assertTrue(owner.startsWith("pid " + ProcessHandle.current().pid() + " on "), owner);
        }
        // the lock file is no result: a folder holding only it is still empty for the next fresh run
        RunFolder.claim(dir, RunFolder.Mode.FRESH).close();
    }

    @Test
    void aSecondProcessIsRefusedNamingTheFirstAndADeadOwnerBlocksNothing() throws Exception {
        Path dir = tmp.resolve("run");
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RunFolderHolder.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        try {
            String line = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertEquals("claimed " + holder.pid(), line);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> RunFolder.claim(dir, RunFolder.Mode.OVERWRITE));
            assertTrue(e.getMessage().contains("Run folder " + dir + " is in use by another training run (pid "
                    + holder.pid() + " on "), e.getMessage());
        } finally {
            holder.destroyForcibly(); // as if killed: the OS drops its lock
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
        }
        RunFolder.claim(dir, RunFolder.Mode.FRESH).close();
    }

    @Test
    void aFinishedRunNeedsOverwriteAndAnInterruptedOneResumeOrOverwrite() throws IOException {
        Path finished = tmp.resolve("finished");
        Files.createDirectories(finished.resolve("adapter"));
        Files.writeString(finished.resolve("metrics.jsonl"), "{\"event\":\"step\"}\n{\"event\":\"result\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunFolder.claim(finished, RunFolder.Mode.FRESH));
        assertTrue(e.getMessage().contains("Run folder " + finished + " already holds a finished run (adapter, "
                + "metrics.jsonl); pass --overwrite"), e.getMessage());

        Path interrupted = tmp.resolve("interrupted");
        Files.createDirectories(interrupted);
        Files.writeString(interrupted.resolve("metrics.jsonl"), "{\"event\":\"step\"}\n");
        e = assertThrows(IllegalArgumentException.class, () -> RunFolder.claim(interrupted, RunFolder.Mode.FRESH));
        assertTrue(e.getMessage().contains("already holds an unfinished run (metrics.jsonl); pass --resume"),
                e.getMessage());
    }

    @Test
    void aFolderOfOtherFilesIsRefusedNamingThem() throws IOException {
        Files.writeString(tmp.resolve("notes.txt"), "mine");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunFolder.claim(tmp, RunFolder.Mode.FRESH));
        assertTrue(e.getMessage().contains("is not empty (it holds notes.txt) and holds no run"), e.getMessage());
    }

    @Test
    void overwriteDeletesTheOldRunsFilesAndNothingElse() throws IOException {
        Files.createDirectories(tmp.resolve("adapter"));
        Files.writeString(tmp.resolve("adapter/adapter_config.json"), "{}");
        Files.createDirectories(tmp.resolve("checkpoint-7"));
        Files.writeString(tmp.resolve("checkpoint-7/trainer_state.json"), "{}");
        Files.writeString(tmp.resolve(Checkpoint.POINTER), "checkpoint-7");
        Files.writeString(tmp.resolve("metrics.jsonl"), "{}\n");
        Files.writeString(tmp.resolve("train.log"), "the log a parent process is writing");
        RunFolder.claim(tmp, RunFolder.Mode.OVERWRITE).close();
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(".lock", "train.log"), left.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void resumeWithoutACheckpointSaysWhatItLookedFor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunFolder.claim(tmp, RunFolder.Mode.RESUME));
        assertTrue(e.getMessage().startsWith("--resume: found no checkpoint in " + tmp + " (looked for "
                + tmp.resolve("checkpoint-latest")), e.getMessage());
    }

    @Test
    void anUnusableLocationIsRefusedNamingTheFileInTheWay() throws IOException {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RunFolder.claim(file.resolve("run"), RunFolder.Mode.FRESH));
        assertTrue(e.getMessage().contains(file + " is a file, not a directory"), e.getMessage());
    }

    @Test
    void aNestedClaimJoinsWithoutCheckingAgain() throws IOException {
        try (RunFolder outer = RunFolder.claim(tmp, RunFolder.Mode.FRESH)) {
            Files.writeString(tmp.resolve("metrics.jsonl"), "{}\n"); // the run has started writing
            RunFolder.claim(tmp, RunFolder.Mode.FRESH).close(); // the trainer inside the job joins
            assertTrue(Files.exists(tmp.resolve("metrics.jsonl")));
        }
        assertThrows(IllegalArgumentException.class, () -> RunFolder.claim(tmp, RunFolder.Mode.FRESH),
                "after the outer claim ends, the folder holds a run");
    }

    @Test
    void resumeAndOverwriteTogetherAreRefused() {
        assertEquals(RunFolder.Mode.FRESH, RunFolder.Mode.of(false, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RunFolder.Mode.of(true, true));
        assertTrue(e.getMessage().contains("pass one of them"), e.getMessage());
    }
}
