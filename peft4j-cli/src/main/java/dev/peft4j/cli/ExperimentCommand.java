package dev.peft4j.cli;

import dev.peft4j.apps.experiments.ExperimentConfig;
import dev.peft4j.apps.experiments.ExperimentRunner;
import dev.peft4j.apps.experiments.ExperimentScope;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code peft4j experiment}: methods x tasks x seeds, with the paper's tables and plots. */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Run an experiment grid (resumable) and write results.md, results.json and PNG plots.")
final class ExperimentCommand implements Callable<Integer> {

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--config", description = "Experiment JSON file.")
        Path config;

        @Option(names = "--preset", description = "Built-in grid: minilm-table1, minilm-ablations, minilm-table1-budget, "
                + "minilm-ablations-budget, bge-table1-budget, vit-mnist, vit-fashion-heldout, decoder-instruct, "
                + "dit-personalise, smoke, vit-smoke, decoder-smoke, dit-personalise-smoke.")
        String preset;
    }

    @Option(names = {"-o", "--output"}, required = true, description = "Output directory (re-use it to resume).")
    Path output;

    @Option(names = "--model", description = "Run the grid on this model instead of the one it names (e.g. "
            + "dit-personalise on a directory written by 'peft4j pretrain dit').")
    String model;

    @Option(names = "--workers", defaultValue = "1", description = "Cells run at once, each in its own JVM with"
            + " cores / workers engine threads (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--task", split = ",", description = "Train only these tasks (repeat or comma-separate); the "
            + "report still covers every finished cell in the output directory.")
    List<String> tasks = List.of();

    @Option(names = "--row", description = "Train only this row: its label or the label's start up to a space, e.g. "
            + "--row LoLDU --row LoRA (repeat for more).")
    List<String> rows = List.of();

    @Option(names = "--report-only", description = "Train nothing: rewrite results.md, results.json and the plots "
            + "from the finished cells.")
    boolean reportOnly;

    @Override
    public Integer call() throws Exception {
        ExperimentConfig config = source.config != null ? ExperimentConfig.read(source.config)
                : ExperimentConfig.preset(source.preset);
        if (model != null) {
            config = config.withModel(model);
        }
        if (workers < 1) {
            throw new IllegalArgumentException("--workers must be at least 1, found " + workers);
        }
        // one engine thread per core in all: two workers with one thread each beat one with two on a loaded machine
        int threadsPerCell = workers == 1 ? 0 : Math.max(1, Runtime.getRuntime().availableProcessors() / workers);
        ExperimentScope scope = new ExperimentScope(Set.copyOf(tasks), rows, reportOnly);
        new ExperimentRunner(new SubprocessCellExecutor(threadsPerCell), workers).run(config, output, scope);
        System.out.println(java.nio.file.Files.readString(output.resolve("results.md")));
        System.out.println("wrote " + output.resolve("results.md") + ", results.json and PNG plots");
        return 0;
    }
}
