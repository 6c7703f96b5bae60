package dev.peft4j.apps.experiments;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which cells of an experiment a run may train. Cells outside it are read back when finished (an earlier run, another
 * machine) and otherwise left out, while the report always covers the whole config: a long grid is run in slices
 * (a task, a few rows) that each finish within a session, into one folder and one table.
 *
 * @param tasks the tasks to train; empty: every task
 * @param rows the rows to train, each a label or the start of labels up to a space ({@code "LoRA"} is
 *     {@code "LoRA r=8 q,v"}); empty: every row
 * @param trainNothing only rewrite the report from the finished cells
 */
public record ExperimentScope(Set<String> tasks, List<String> rows, boolean trainNothing) {

    public static final ExperimentScope ALL = new ExperimentScope(Set.of(), List.of(), false);

    public static final ExperimentScope REPORT_ONLY = new ExperimentScope(Set.of(), List.of(), true);

    public ExperimentScope {
        tasks = Set.copyOf(tasks);
        rows = List.copyOf(rows);
    }

    /** Whether row {@code label} on {@code task} may be trained. */
    boolean allows(String label, String task) {
        return !trainNothing && (tasks.isEmpty() || tasks.contains(task))
                && (rows.isEmpty() || rows.stream().anyMatch(row -> names(row, label)));
    }

    private static boolean names(String row, String label) {
        return label.equals(row) || label.startsWith(row + " ");
    }

    /** Refuses a task or row the config does not have, so a typo never trains nothing in silence. */
    void checkAgainst(ExperimentConfig config) {
        for (String task : tasks) {
            if (!config.tasks().contains(task)) {
                throw new IllegalArgumentException("Task '" + task + "' is not in experiment '" + config.name()
                        + "'; its tasks are " + config.tasks());
            }
        }
        List<String> labels = new ArrayList<>();
        config.methods().forEach(method -> labels.add(method.label()));
        for (String row : rows) {
            if (labels.stream().noneMatch(label -> names(row, label))) {
                throw new IllegalArgumentException("Row '" + row + "' names no row of experiment '" + config.name()
                        + "' (a row is its label or the label's start up to a space); its rows are " + labels);
            }
        }
    }
}
