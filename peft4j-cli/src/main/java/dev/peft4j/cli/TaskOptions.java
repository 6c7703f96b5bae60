package dev.peft4j.cli;

import dev.peft4j.apps.text.TaskSource;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** A built-in task by name or the user's own CSV / JSON Lines file. */
final class TaskOptions {

    static final String DEFAULT_TEXT_TASK = "spam";

    @Option(names = "--task", description = "Built-in task. Text: spam (default), reuters-grain, reuters-corn; "
            + "images: mnist (default), fashion-heldout (Fashion-MNIST classes 5-9, for vit-fashion-mnist-0to4).")
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
        return data == null ? TaskSource.builtIn(task == null ? DEFAULT_TEXT_TASK : task)
                : new TaskSource(null, data, textColumn, pairColumn, labelColumn);
    }
}
