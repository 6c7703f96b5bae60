package dev.peft4j.train.loop;

import dev.peft4j.train.io.IoMessages;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A training run's output folder (metrics.jsonl, checkpoints, the adapter), claimed by one process at a time.
 *
 * <p>The claim is an OS file lock on {@code DIR/.lock}, which also records the owner (pid, host, start time) so that a
 * second process is refused with a message naming the first. The OS releases the lock when its process dies, so a
 * killed run never blocks the folder. Claiming also decides what may happen to what is already there: a fresh run
 * needs an empty (or new) folder, {@link Mode#RESUME} needs a checkpoint, {@link Mode#OVERWRITE} deletes the old run's
 * files (and only those) first. Nothing is lost silently.
 *
 * <p>Within one process a claim is re-entrant: the CLI or a job claims the folder before loading a model, and the
 * {@link Trainer} inside joins that claim instead of claiming again.
 */
public final class RunFolder implements AutoCloseable {

    /** The lock file's name inside the run folder; not part of the run's results. */
    public static final String LOCK_FILE = ".lock";

    /** What to do with a folder that already holds files. */
    public enum Mode {
        /** A new run: the folder must be empty or absent. */
        FRESH,
        /** Continue the run whose checkpoint the folder holds. */
        RESUME,
        /** Delete the old run's files, then start a new run. */
        OVERWRITE;

        /** The mode a {@link TrainerConfig}'s flags ask for. */
        public static Mode of(boolean resume, boolean overwrite) {
            if (resume && overwrite) {
                throw new IllegalArgumentException("--resume continues the run in the folder and --overwrite deletes "
                        + "it; pass one of them");
            }
            return resume ? RESUME : overwrite ? OVERWRITE : FRESH;
        }
    }

    /** Files and folders a run writes, the only ones {@link Mode#OVERWRITE} deletes. */
    private static final List<String> RUN_FILES = List.of("adapter", "metrics.jsonl", Checkpoint.POINTER);
    private static final String CHECKPOINT_PREFIX = "checkpoint-";

    /** Folders this process holds, by absolute path: what makes a nested claim join instead of deadlock. */
    private static final Map<Path, RunFolder> HELD = new ConcurrentHashMap<>();

    private final Path dir;
    private final FileChannel channel; // null for a joined claim
    private final FileLock lock;

    private RunFolder(Path dir, FileChannel channel, FileLock lock) {
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Claims {@code dir} for a run, or joins the claim this process already holds on it (then {@code mode} was
     * applied by that first claim and is not applied again).
     *
     * @throws IllegalArgumentException if the folder cannot be created, holds files {@code mode} does not allow, or
     *     {@code mode} is RESUME and no checkpoint is there
     * @throws IllegalStateException if another process holds the folder (the message names it)
     */
    public static RunFolder claim(Path dir, Mode mode) {
        Path key = dir.toAbsolutePath().normalize();
        if (HELD.containsKey(key)) {
            return new RunFolder(dir, null, null);
        }
        OutputLocation.requireWritableDirectory(dir, "the run folder (-o)");
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock = tryLock(channel, dir);
            RunFolder claimed = new RunFolder(dir, channel, lock);
            try {
                writeOwner(channel);
                claimed.apply(mode);
            } catch (IOException | RuntimeException e) {
                claimed.close();
                throw e;
            }
            HELD.put(key, claimed);
            return claimed;
        } catch (IOException e) {
            closeQuietly(channel);
            throw new IllegalArgumentException("Cannot use " + dir + " as the run folder (-o): " + IoMessages.describe(e)
                    + "; choose a folder this user can create and write", e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** The run folder. */
    public Path dir() {
        return dir;
    }

    /** Releases the claim (a joined claim leaves it to the first one). */
    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        HELD.remove(dir.toAbsolutePath().normalize(), this);
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel below releases it as well
        }
        closeQuietly(channel);
    }

    private static FileLock tryLock(FileChannel channel, Path dir) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // another thread of this process holds it outside of claim(): as busy as another process
        }
        if (lock == null) {
            String owner = new String(Files.readAllBytes(dir.resolve(LOCK_FILE)), StandardCharsets.UTF_8).strip();
            throw new IllegalStateException("Run folder " + dir + " is in use by another training run ("
                    + (owner.isEmpty() ? "it is just starting" : owner) + "); wait for it to end, or choose "
                    + "another folder with -o");
        }
        return lock;
    }

    /** Who holds the lock, for the message a second process gets. */
    private static void writeOwner(FileChannel channel) throws IOException {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown host";
        }
        String owner = "pid " + ProcessHandle.current().pid() + " on " + host + ", started " + Instant.now();
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((owner + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        channel.force(true);
    }

    private void apply(Mode mode) throws IOException {
        List<Path> contents = contents();
        switch (mode) {
            case FRESH -> {
                if (!contents.isEmpty()) {
                    throw new IllegalArgumentException(describeExisting(contents));
                }
            }
            case RESUME -> requireCheckpoint();
            case OVERWRITE -> {
                for (Path p : contents) {
                    if (isRunFile(p)) {
                        deleteRecursively(p);
                    }
                }
            }
            default -> throw new AssertionError(mode);
        }
    }

    private List<Path> contents() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.filter(p -> !p.getFileName().toString().equals(LOCK_FILE)).sorted().toList();
        }
    }

    private String describeExisting(List<Path> contents) throws IOException {
        if (contents.stream().noneMatch(RunFolder::isRunFile)) {
            List<String> names = contents.stream().limit(5).map(p -> p.getFileName().toString()).toList();
            return "Run folder " + dir + " is not empty (it holds " + String.join(", ", names)
                    + (contents.size() > names.size() ? ", ..." : "") + ") and holds no run; choose a new or "
                    + "empty folder with -o, or pass --overwrite to write the run beside those files";
        }
        Path metrics = dir.resolve("metrics.jsonl");
        boolean finished = Files.isRegularFile(metrics)
                && Files.readAllLines(metrics).stream().anyMatch(l -> l.contains("\"event\":\"result\""));
        return "Run folder " + dir + " already holds " + (finished ? "a finished run" : "an unfinished run")
                + " (" + String.join(", ", contents.stream().filter(RunFolder::isRunFile)
                        .map(p -> p.getFileName().toString()).toList()) + "); "
                + (finished ? "" : "pass --resume to continue it from its checkpoint, ")
                + "pass --overwrite to delete it and train again, or choose another folder with -o";
    }

    private void requireCheckpoint() throws IOException {
        Path pointer = dir.resolve(Checkpoint.POINTER);
        if (!Files.isRegularFile(pointer)) {
            throw new IllegalArgumentException("--resume: found no checkpoint in " + dir + " (looked for "
                    + pointer + ", which a run writes at each epoch end and every --checkpoint-every steps); start "
                    + "without --resume, or pass the folder of the interrupted run");
        }
        Path checkpoint = dir.resolve(Files.readString(pointer, StandardCharsets.UTF_8).strip());
        if (!Files.isRegularFile(checkpoint.resolve("trainer_state.json"))) {
            throw new IllegalArgumentException("--resume: " + pointer + " names " + checkpoint + ", which holds no "
                    + "trainer_state.json; the checkpoint is incomplete: pass --overwrite to start again");
        }
    }

    private static boolean isRunFile(Path p) {
        String name = p.getFileName().toString();
        return RUN_FILES.contains(name) || name.startsWith(CHECKPOINT_PREFIX) && Files.isDirectory(p);
    }

    private static void deleteRecursively(Path path) throws IOException {
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing more to release
            }
        }
    }

}
