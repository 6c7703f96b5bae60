package dev.peft4j.cli;

import dev.peft4j.apps.text.TrainedClassifier;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.train.data.Split;
import dev.peft4j.train.metrics.Metrics;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code peft4j eval}: a saved adapter's metrics on a task's test split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a saved adapter (from 'peft4j train --output DIR': DIR/adapter) on a task.")
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--adapter", required = true, description = "Adapter directory (holds adapter_config.json).")
    Path adapter;

    @Mixin
    TaskOptions taskOptions;

    @Option(names = "--split", defaultValue = "test", description = "train, validation or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the data split (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch-size", defaultValue = "32", description = "Examples per batch (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--allow-other-base",
            description = "Load the adapter even if it was trained on a base with other weights (fingerprints differ).")
    boolean allowOtherBase;

    @Override
    public Integer call() throws Exception {
        OptionChecks.atLeast("--batch-size", batchSize, 1);
        ArtifactCache cache = ArtifactCache.defaultCache();
        Split data = taskOptions.source().load(cache, seed);
        var examples = switch (split) {
            case "train" -> data.train().examples();
            case "validation" -> data.validation().examples();
            case "test" -> data.test().examples();
            default -> throw new IllegalArgumentException("Invalid value for option '--split': '" + split
                    + "'; accepted: train, validation, test");
        };
        try (TrainedClassifier trained = TrainedClassifier.open(adapter, cache, allowOtherBase)) {
            long start = System.nanoTime();
            Metrics metrics = trained.evaluate(examples, data.train().labelNames(), batchSize);
            System.out.printf(Locale.ROOT, "%s %s (%d examples): accuracy %.4f | F1 %.4f | MCC %.4f | loss %.4f | %.1f s%n",
                    taskOptions.source().label(), split, metrics.count(), metrics.accuracy(), metrics.f1(),
                    metrics.mcc(), metrics.loss(), (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }
}
