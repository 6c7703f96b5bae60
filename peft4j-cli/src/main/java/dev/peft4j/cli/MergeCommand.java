package dev.peft4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "merge", mixinStandardHelpOptions = true, description = "(being written)")
final class MergeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new IllegalStateException("'merge' is not available in this build yet");
    }
}
