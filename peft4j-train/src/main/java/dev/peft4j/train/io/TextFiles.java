package dev.peft4j.train.io;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reading a user's text file whole, with the file named when it is missing, a directory or not UTF-8. */
public final class TextFiles {

    private TextFiles() {
    }

    /**
     * The file's text.
     *
     * @param what what the file is, for messages (e.g. {@code Data file})
     * @param expected the kinds of file expected instead of a directory (e.g. {@code a .csv, .jsonl or .json file})
     */
    public static String readUtf8(Path file, String what, String expected) throws IOException {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(what + " " + file + " is a directory; pass " + expected);
        }
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(what + " " + file + " does not exist"
                    + (file.isAbsolute() ? "" : " (relative to " + Path.of("").toAbsolutePath() + ")"));
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (MalformedInputException e) {
            throw new IllegalArgumentException("File " + file + " is not valid UTF-8 text (a malformed sequence of "
                    + e.getInputLength() + " bytes); save it as UTF-8 and try again", e);
        }
    }
}
