package dev.peft4j.cli;

import dev.peft4j.train.text.TaskSource;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** A built-in task by name or the user's own CSV / JSON Lines file. */
final class TaskOptions {

    @Option(names = "--task", defaultValue = "spam",
            description = "Built-in task: spam, reuters-grain, reuters-corn (default: ${DEFAULT-VALUE}).")
    String task;

    @Option(names = "--data", description = "Your own CSV or JSON Lines file instead of --task.")
    Path data;

    @Option(names = "--text-column", defaultValue = "text", description = "Text column of --data (default: ${DEFAULT-VALUE}).")
    String textColumn;

    @Option(names = "--pair-column", description = "Second text column of --data, for sentence pairs.")
    String pairColumn;

    @Option(names = "--label-column", defaultValue = "label", description = "Label column of --data (default: ${DEFAULT-VALUE}).")
    String labelColumn;

    TaskSource source() {
        return data == null ? TaskSource.builtIn(task)
                : new TaskSource(null, data, textColumn, pairColumn, labelColumn);
    }
}
