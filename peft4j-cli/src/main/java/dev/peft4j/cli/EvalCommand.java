package dev.peft4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "eval", mixinStandardHelpOptions = true, description = "(being written)")
final class EvalCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        throw new IllegalStateException("'eval' is not available in this build yet");
    }
}
