package dev.peft4j.core.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A file that peft4j cannot load as it stands: a malformed safetensors header, a missing, extra,
 * mis-shaped or non-finite tensor, a base-weight fingerprint that does not match.
 *
 * <p>The message always names the file, the key (a tensor or JSON key, or a location such as
 * {@code <header length>} when the problem is not under a key), what was expected, what was found
 * and what to do, so that a user can fix the file without reading peft4j's source.
 */
public class AdapterFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String key;
    private final String expected;
    private final String found;
    private final String fix;

    public AdapterFormatException(Path file, String key, String expected, String found, String fix) {
        this(file, key, expected, found, fix, null);
    }

    public AdapterFormatException(Path file, String key, String expected, String found, String fix,
            Throwable cause) {
        super(file + ": key \"" + key + "\": expected " + expected + ", found " + found + ". Fix: " + fix, cause);
        this.file = file;
        this.key = key;
        this.expected = expected;
        this.found = found;
        this.fix = fix;
    }

    public Path file() {
        return file;
    }

    /** The tensor or JSON key at fault, or a location in angle brackets such as {@code <header>}. */
    public String key() {
        return key;
    }

    public String expected() {
        return expected;
    }

    public String found() {
        return found;
    }

    public String fix() {
        return fix;
    }
}
