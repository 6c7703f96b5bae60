package dev.peft4j.hub;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one external command (npm, apt-get, dpkg-deb, mvn, tar) to completion. Its output goes to a log file, not a
 * pipe, so a chatty command can never fill a pipe buffer and deadlock; on failure the last lines of that log go into
 * the exception so that the user sees what the command said.
 */
final class Subprocess {

    static final int TAIL_LINES = 15;

    private Subprocess() {
    }

    /**
     * Runs {@code command} in {@code workDir} and returns its combined output.
     *
     * @param what what is being fetched, for the error message ("npm package foo@1.0")
     * @param hint extra advice appended to the error message, or null
     * @throws IOException naming {@code what}, the exact command, its exit code and the last lines of its output
     */
    static String run(List<String> command, Path workDir, String what, String hint) throws IOException {
        Path log = Files.createTempFile(workDir.getParent(), "cmd-", ".log");
        try {
            Process process;
            try {
                process = new ProcessBuilder(command)
                        .directory(workDir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(nullDevice()))
                        .start();
            } catch (IOException e) {
                throw new IOException("Could not fetch " + what + ": cannot start `" + String.join(" ", command)
                        + "` (" + e.getMessage() + "). Install '" + command.get(0)
                        + "' and make sure it is on the PATH.", e);
            }
            int exit;
            try {
                exit = process.waitFor();
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("Interrupted while fetching " + what + " with `" + String.join(" ", command)
                        + "`", e);
            }
            String output = Files.readString(log, StandardCharsets.ISO_8859_1);
            if (exit != 0) {
                throw new IOException("Could not fetch " + what + ": `" + String.join(" ", command) + "` (in "
                        + workDir + ") exited with code " + exit + ". Last lines of its output:\n"
                        + tail(output, TAIL_LINES) + (hint == null ? "" : "\n" + hint));
            }
            return output;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /** The last {@code n} non-blank lines of {@code output}, each indented, or a note if there was none. */
    static String tail(String output, int n) {
        List<String> lines = new ArrayList<>();
        for (String line : output.split("\\R")) {
            if (!line.isBlank()) {
                lines.add("    " + line.stripTrailing());
            }
        }
        if (lines.isEmpty()) {
            return "    (no output)";
        }
        return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    }

    private static File nullDevice() {
        return new File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
    }
}
