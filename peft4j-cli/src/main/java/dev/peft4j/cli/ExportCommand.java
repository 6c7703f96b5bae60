package dev.peft4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "export", mixinStandardHelpOptions = true, description = "(being written)")
final class ExportCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new IllegalStateException("'export' is not available in this build yet");
    }
}
