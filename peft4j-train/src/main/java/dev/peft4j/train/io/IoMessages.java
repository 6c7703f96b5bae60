package dev.peft4j.train.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * Turns the JDK's and Jackson's terse I/O failures into text that names the path and the problem. Their own messages
 * are often just the path ({@link NoSuchFileException}), just the reason ({@code Is a directory}) or an encoder's
 * internal state ({@code Input length = 3}).
 */
public final class IoMessages {

    private IoMessages() {
    }

    /** What went wrong, naming the file where the exception knows it. */
    public static String describe(IOException e) {
        if (e instanceof NoSuchFileException f) {
            return f.getFile() + " does not exist" + (f.getOtherFile() == null ? "" : " (or " + f.getOtherFile() + ")");
        }
        if (e instanceof AccessDeniedException f) {
            return "permission denied on " + f.getFile() + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
        }
        if (e instanceof NotDirectoryException f) {
            return f.getFile() + " is not a directory";
        }
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + " already exists" + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
        }
        if (e instanceof DirectoryNotEmptyException f) {
            return "directory " + f.getFile() + " is not empty";
        }
        if (e instanceof FileSystemException f) {
            String reason = f.getReason() == null ? "cannot be used" : f.getReason();
            return f.getFile() == null ? reason : f.getFile() + ": " + reason;
        }
        if (e instanceof MalformedInputException m) {
            return "the text is not valid UTF-8 (a malformed sequence of " + m.getInputLength() + " bytes); save the "
                    + "file as UTF-8";
        }
        if (e instanceof CharacterCodingException) {
            return "the text is not valid UTF-8; save the file as UTF-8";
        }
        if (e instanceof JsonProcessingException j) {
            JsonLocation at = j.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            return "invalid JSON" + where + ": " + j.getOriginalMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
