package dev.peft4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "inspect", mixinStandardHelpOptions = true, description = "(being written)")
final class InspectCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new IllegalStateException("'inspect' is not available in this build yet");
    }
}
