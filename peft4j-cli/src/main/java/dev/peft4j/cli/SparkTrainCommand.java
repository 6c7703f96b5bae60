package dev.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.spark.SparkFineTune;
import dev.peft4j.spark.SparkTrainConfig;
import dev.peft4j.train.data.Datasets;
import dev.peft4j.train.data.Split;
import dev.peft4j.train.data.TextExample;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code peft4j spark-train}: the data-parallel job of {@code peft4j-spark}, on a built-in task or on the user's
 * Parquet / CSV / JSON files read by Spark. Locally it starts Spark in-process ({@code --master local[N,4]}); on a
 * cluster the same class runs under {@code spark-submit} (see the README).
 */
@Command(name = "spark-train", mixinStandardHelpOptions = true,
        description = "Fine-tune on Apache Spark, synchronously data-parallel (a barrier stage averaging gradients).")
final class SparkTrainCommand implements Callable<Integer> {

    @Option(names = "--master", description = "Spark master (default: local[WORKERS,4]: one slot per worker, a lost "
            + "task retried; under spark-submit the submitted master is used).")
    String master;

    @Option(names = "--workers", defaultValue = "2", description = "Tasks of the barrier stage, one data shard each "
            + "(default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--task", description = "Built-in task: spam, reuters-grain, reuters-corn (default: spam, "
            + "unless --data is given).")
    String task;

    @Option(names = "--data", description = "Training data for Spark to read: .parquet, .csv (with a header) or "
            + ".json / .jsonl, one row per example.")
    String data;

    @Option(names = "--validation-data", description = "With --data: the validation rows, same format and columns.")
    String validationData;

    @Option(names = "--text-column", defaultValue = "text", description = "With --data (default: ${DEFAULT-VALUE}).")
    String textColumn;

    @Option(names = "--label-column", defaultValue = "label", description = "With --data: class ids 0..k-1 "
            + "(default: ${DEFAULT-VALUE}).")
    String labelColumn;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    MethodOptions methodOptions;

    @Option(names = "--epochs", defaultValue = "3", description = "Epochs (default: ${DEFAULT-VALUE}, train's text "
            + "default).")
    int epochs;

    @Option(names = "--lr", description = "Adapter learning rate (default: " + TextLearningRates.HELP + ").")
    Float learningRate;

    @Option(names = "--head-lr", defaultValue = "0.002", description = "Head learning rate (default: ${DEFAULT-VALUE}).")
    float headLearningRate;

    @Option(names = "--batch-size", defaultValue = "8", description = "Examples per worker per step; the global "
            + "batch is workers times this (default: ${DEFAULT-VALUE}).")
    int batchPerWorker;

    @Option(names = "--max-train", defaultValue = "2400", description = "Built-in task: at most this many training "
            + "examples, 0 for all (default: ${DEFAULT-VALUE}).")
    int maxTrain;

    @Option(names = "--metric", defaultValue = "accuracy", description = "Validation metric picking the best epoch "
            + "(default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--seed", defaultValue = "42", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--checkpoint-dir", description = "A folder every executor reaches (default: OUTPUT/checkpoints).")
    Path checkpointDir;

    @Option(names = "--checkpoint-every", defaultValue = "50", description = "Steps between checkpoints "
            + "(default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = {"-o", "--output"}, required = true, description = "Run folder: the adapter goes to OUTPUT/adapter.")
    Path output;

    @Override
    public Integer call() throws Exception {
        OptionChecks.atLeast("--workers", workers, 1);
        OptionChecks.atLeast("--batch-size", batchPerWorker, 1);
        OptionChecks.atLeast("--epochs", epochs, 1);
        OptionChecks.atLeast("--checkpoint-every", checkpointEvery, 0);
        float adapterLearningRate = learningRate != null ? learningRate
                : TextLearningRates.forMethod(methodOptions.method);
        OptionChecks.positive("--lr", adapterLearningRate);
        if (data != null && task != null) {
            throw new IllegalArgumentException("--task and --data both given; choose one");
        }
        if (data != null && validationData == null) {
            throw new IllegalArgumentException("--data needs --validation-data (the rows that pick the best epoch)");
        }
        SparkSession.Builder builder = SparkSession.builder().appName("peft4j spark-train");
        if (master != null || System.getProperty("spark.master") == null) {
            builder.master(master != null ? master : "local[" + workers + ",4]");
        }
        SparkSession spark = builder.getOrCreate();
        try {
            Dataset<Row> train;
            Dataset<Row> validation;
            Dataset<Row> test;
            List<String> labelNames;
            if (data != null) {
                train = read(spark, data);
                validation = read(spark, validationData);
                test = validation.limit(0);
                long classes = train.selectExpr("max(" + labelColumn + ")").first().getLong(0) + 1;
                labelNames = java.util.stream.LongStream.range(0, classes).mapToObj(String::valueOf).toList();
            } else {
                Split split = Datasets.byName(task == null ? "spam" : task, ArtifactCache.defaultCache(), seed);
                List<TextExample> examples = limit(split.train().examples());
                train = SparkFineTune.dataset(spark, examples);
                validation = SparkFineTune.dataset(spark, split.validation().examples());
                test = SparkFineTune.dataset(spark, split.test().examples());
                labelNames = split.train().labelNames();
                textColumn = "text";
                labelColumn = "label";
            }
            SparkTrainConfig config = new SparkTrainConfig(modelOptions.model, modelOptions.maxLength,
                    modelOptions.pooling.name(), SparkTrainConfig.MethodSpecData.of(methodOptions.spec()), epochs,
                    adapterLearningRate, headLearningRate, 0f, 0.06f, workers, batchPerWorker, seed, metric,
                    (checkpointDir == null ? output.resolve("checkpoints") : checkpointDir).toAbsolutePath().toString(),
                    checkpointEvery, output.resolve("adapter").toAbsolutePath().toString(),
                    SparkTrainConfig.DEFAULT_MAX_SYNC_FLOATS, null);
            long start = System.nanoTime();
            JsonNode result = SparkFineTune.run(train, validation, test, textColumn, labelColumn, labelNames, config);
            double seconds = (System.nanoTime() - start) / 1e9;
            int steps = result.get("steps_per_epoch").asInt() * epochs;
            System.out.printf(Locale.ROOT, "%nspark-train: %d workers x %d examples per step, %d steps, best epoch %d%n",
                    workers, batchPerWorker, steps, result.get("best_epoch").asInt());
            System.out.printf(Locale.ROOT, "validation %s | test %s%n", result.get("validation"), result.get("test"));
            System.out.printf(Locale.ROOT, "training %.1f s with validation (%.0f ms per optimiser step; job %.1f s), "
                    + "%,d bytes sent per worker per step%n", result.get("train_seconds").asDouble(),
                    result.get("mean_step_ms").asDouble(), seconds, result.get("bytes_sent_per_worker_per_step").asLong());
            System.out.println("adapter saved to " + config.adapterDir());
            return 0;
        } finally {
            spark.stop();
        }
    }

    private List<TextExample> limit(List<TextExample> examples) {
        return maxTrain <= 0 || maxTrain >= examples.size() ? examples
                : dev.peft4j.apps.text.FineTuneJob.limit(examples, maxTrain, seed);
    }

    private static Dataset<Row> read(SparkSession spark, String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".parquet")) {
            return spark.read().parquet(path);
        }
        if (lower.endsWith(".csv")) {
            return spark.read().option("header", "true").option("inferSchema", "true").csv(path);
        }
        if (lower.endsWith(".json") || lower.endsWith(".jsonl")) {
            return spark.read().json(path);
        }
        throw new IllegalArgumentException("Cannot tell the format of " + path + ": expected .parquet, .csv, .json "
                + "or .jsonl");
    }
}
