package dev.peft4j.cli;

import dev.peft4j.train.io.IoMessages;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one line a failed command prints: the exception's own message for the errors peft4j raises (they say what was
 * expected, what was found and what to do), and for the JDK's terse I/O failures a sentence naming the path.
 */
final class CliErrors {

    private CliErrors() {
    }

    /** The message for {@code e}, unwrapping the wrappers that add nothing. */
    static String message(Throwable e) {
        Throwable cause = unwrap(e);
        if (cause instanceof IOException io) {
            String described = IoMessages.describe(io);
            // our own IOExceptions already read as sentences; the JDK's are rewritten by IoMessages
            return io.getClass() == IOException.class && io.getMessage() != null ? io.getMessage() : described;
        }
        if (cause instanceof IllegalArgumentException || cause instanceof IllegalStateException) {
            return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        }
        String message = cause.getMessage() == null ? "" : ": " + cause.getMessage();
        return "unexpected " + cause.getClass().getSimpleName() + message + " (rerun with --verbose for the stack "
                + "trace, and report it if the cause is not yours)";
    }

    private static Throwable unwrap(Throwable e) {
        Throwable current = e;
        // an UncheckedIOException that only carries the cause's text adds nothing; one with a sentence of its own
        // (naming the file it could not write) is kept
        while (current instanceof UncheckedIOException u && u.getCause() != null
                && (u.getMessage() == null || u.getMessage().equals(u.getCause().toString()))) {
            current = u.getCause();
        }
        if (current instanceof UncheckedIOException u && u.getCause() != null) {
            return new IOException(u.getMessage(), u.getCause());
        }
        return current;
    }
}
