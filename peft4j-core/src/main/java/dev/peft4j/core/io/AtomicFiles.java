package dev.peft4j.core.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * Whole-file writes that either happen completely or not at all.
 *
 * <p>The bytes go to a hidden temp file in the target's directory (same file system, so the rename
 * cannot turn into a copy), are fsynced, and the temp file is renamed over the target with
 * {@code ATOMIC_MOVE}. A crash or an exception before the rename leaves the previous target
 * byte-identical; an exception also deletes the temp file. Readers never see a half-written file.
 */
public final class AtomicFiles {

    private static final int BUFFER_BYTES = 1 << 16;

    /** Writes the content of a file; may throw, which abandons the write. */
    @FunctionalInterface
    public interface IoConsumer<T> {
        void accept(T value) throws IOException;
    }

    private AtomicFiles() {
    }

    /**
     * Replaces {@code target} with what {@code body} writes to the stream. The stream is buffered;
     * the body may close it or not. The target's directory must exist.
     */
    public static void write(Path target, IoConsumer<OutputStream> body) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        // Created with CREATE_NEW rather than Files.createTempFile, whose 0600 permissions would
        // survive the rename and make the target unreadable to a serving process of another user.
        Path temp = dir.resolve("." + absolute.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(new ChannelStream(channel), BUFFER_BYTES);
                body.accept(out);
                out.flush();
                channel.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException deleteFailure) {
                e.addSuppressed(deleteFailure);
            }
            throw e;
        }
        syncDirectory(dir);
    }

    /** Replaces {@code target} with {@code text} in UTF-8. */
    public static void writeString(Path target, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(target, out -> out.write(bytes));
    }

    /**
     * Makes the rename itself durable across a power loss. Best effort: some platforms (Windows)
     * cannot open a directory; the rename is atomic there anyway, only its flush is up to the OS.
     */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException platformCannotSyncDirectories) {
            // nothing more can be done portably; the file content itself is already on disk
        }
    }

    /** The channel as a stream whose close() only flushes, so a body that closes it cannot skip the fsync. */
    private static final class ChannelStream extends OutputStream {

        private final OutputStream delegate;

        ChannelStream(FileChannel channel) {
            this.delegate = Channels.newOutputStream(channel);
        }

        @Override
        public void write(int b) throws IOException {
            delegate.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            delegate.write(b, off, len);
        }

        @Override
        public void close() {
            // the channel is closed by AtomicFiles after the fsync
        }
    }
}
