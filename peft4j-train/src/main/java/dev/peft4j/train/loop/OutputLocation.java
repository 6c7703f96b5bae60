package dev.peft4j.train.loop;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Checks, without creating anything, that a directory can be created (or already exists) and written to. Commands
 * call it on every output before loading a model, so that an unusable {@code -o} fails in a second with the path
 * named instead of after minutes of work.
 */
public final class OutputLocation {

    private OutputLocation() {
    }

    /**
     * @param dir the directory that will be written, existing or not
     * @param what what the directory is for, e.g. {@code "the run folder (-o)"}, for the message
     * @throws IllegalArgumentException naming the first path that is in the way: a file where a directory is needed,
     *     or an existing directory this process may not write to
     */
    public static void requireWritableDirectory(Path dir, String what) {
        Path absolute = dir.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS) && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new IllegalArgumentException("Cannot create " + what + " " + dir + ": no part of the path exists");
        }
        if (!Files.isDirectory(existing)) {
            throw new IllegalArgumentException("Cannot use " + dir + " as " + what + ": " + existing
                    + (existing.equals(absolute) ? " is a file" : " is a file, not a directory")
                    + "; choose a directory path");
        }
        if (!Files.isWritable(existing)) {
            throw new IllegalArgumentException("Cannot " + (existing.equals(absolute) ? "write to " : "create ") + what
                    + " " + dir + ": " + existing + " is not writable by this user; choose a writable location");
        }
    }
}
