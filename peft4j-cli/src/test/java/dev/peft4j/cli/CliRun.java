package dev.peft4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs the CLI in-process for the command tests, capturing what it prints. */
final class CliRun {

    private CliRun() {
    }

    /** exit code, stdout (commands print there directly), picocli's err. */
    static String[] run(String... args) {
        CommandLine cli = Peft4jCommand.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = cli.execute(args);
            return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString()};
        } finally {
            System.setOut(saved);
        }
    }
}
