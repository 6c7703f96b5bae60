package dev.peft4j.cli;

import dev.peft4j.train.experiments.ExperimentConfig;
import dev.peft4j.train.experiments.ExperimentRunner;
import java.nio.file.Path;
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

        @Option(names = "--preset", description = "Built-in grid: minilm-table1, minilm-ablations, vit-mnist, smoke, vit-smoke.")
        String preset;
    }

    @Option(names = {"-o", "--output"}, required = true, description = "Output directory (re-use it to resume).")
    Path output;

    @Override
    public Integer call() throws Exception {
        ExperimentConfig config = source.config != null ? ExperimentConfig.read(source.config)
                : ExperimentConfig.preset(source.preset);
        new ExperimentRunner(new SubprocessCellExecutor()).run(config, output);
        System.out.println(java.nio.file.Files.readString(output.resolve("results.md")));
        System.out.println("wrote " + output.resolve("results.md") + ", results.json and PNG plots");
        return 0;
    }
}
