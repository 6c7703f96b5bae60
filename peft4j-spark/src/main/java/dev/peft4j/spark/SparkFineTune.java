package dev.peft4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.train.data.TextExample;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;
import scala.reflect.ClassTag;

/**
 * Fine-tunes an encoder on a Spark {@link Dataset} of labelled texts, synchronously data-parallel: one barrier stage
 * of {@code workers} tasks, each holding one shard (row {@code i} of the input goes to shard {@code i % workers}),
 * exchanging and averaging gradients with {@code BarrierTaskContext.allGather} before each optimiser step.
 *
 * <p>Why a barrier stage and not one {@code treeAggregate} per step (MLlib's {@code GradientDescent}): a job per step
 * would ship the trainable state out and back and reschedule every task each step, and a task would have to find its
 * loaded model again each time; the barrier stage keeps each task's model, shard and optimiser in place for the whole
 * run, exchanges only the gradients (kilobytes for LoLDU), and Spark restarts all its tasks together when one fails,
 * which is what resuming from a shared checkpoint needs.
 */
public final class SparkFineTune {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SparkFineTune() {
    }

    /**
     * Trains and saves the adapter in {@code config.adapterDir()}; returns worker 0's summary (best epoch,
     * validation and test metrics, steps, bytes sent per step).
     *
     * @param train rows with a string column {@code textColumn} and an integer column {@code labelColumn}
     * @param validation the same columns; collected to the driver and scored by every worker at epoch ends
     * @param test the same columns, scored by worker 0 at the end (may be empty)
     */
    public static JsonNode run(Dataset<Row> train, Dataset<Row> validation, Dataset<Row> test, String textColumn,
            String labelColumn, List<String> labelNames, SparkTrainConfig config) {
        requireColumns(train, "training", textColumn, labelColumn);
        requireColumns(validation, "validation", textColumn, labelColumn);
        requireColumns(test, "test", textColumn, labelColumn);
        List<TextExample> validationRows = collect(validation, textColumn, labelColumn, labelNames.size());
        List<TextExample> testRows = collect(test, textColumn, labelColumn, labelNames.size());
        if (validationRows.isEmpty()) {
            throw new IllegalArgumentException("spark-train: the validation set is empty; it picks the best epoch");
        }
        int numLabels = labelNames.size();
        int workers = config.workers();
        JavaRDD<Row> rows = train.select(textColumn, labelColumn).javaRDD();
        JavaPairRDD<Long, Row> sharded = rows.zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1()))
                .partitionBy(new ShardPartitioner(workers));
        ShardTraining training = new ShardTraining(config, numLabels, labelNames, validationRows, testRows);
        ShardTask task = new ShardTask(training, numLabels);
        ClassTag<String> tag = scala.reflect.ClassTag$.MODULE$.apply(String.class);
        // the shuffle after the barrier stage makes it a shuffle-map stage: Spark re-runs a failed barrier stage of
        // that kind as a whole, but aborts the job when the failed barrier stage is the one producing the result
        List<String> results = new ArrayList<>(sharded.rdd().barrier().mapPartitions(task, false, tag).toJavaRDD()
                .filter(java.util.Objects::nonNull).repartition(1).collect());
        if (results.size() != 1) {
            throw new IllegalStateException("Expected worker 0's summary, found " + results.size() + " results");
        }
        try {
            return JSON.readTree(results.get(0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Examples as a Dataset with columns {@code text} (string) and {@code label} (int), in their order. */
    public static Dataset<Row> dataset(org.apache.spark.sql.SparkSession spark, List<TextExample> examples) {
        StructType schema = new StructType().add("text", DataTypes.StringType, false)
                .add("label", DataTypes.IntegerType, false);
        List<Row> rows = new ArrayList<>(examples.size());
        for (TextExample e : examples) {
            rows.add(org.apache.spark.sql.RowFactory.create(e.text(), e.label()));
        }
        return spark.createDataFrame(rows, schema);
    }

    private static void requireColumns(Dataset<Row> data, String what, String text, String label) {
        StructType schema = data.schema();
        List<String> names = List.of(schema.fieldNames());
        for (String column : List.of(text, label)) {
            if (!names.contains(column)) {
                throw new IllegalArgumentException("spark-train: the " + what + " data has no column '" + column
                        + "'; its columns are " + names + " (choose them with --text-column / --label-column)");
            }
        }
        DataType textType = schema.apply(text).dataType();
        DataType labelType = schema.apply(label).dataType();
        if (!textType.equals(DataTypes.StringType)) {
            throw new IllegalArgumentException("spark-train: column '" + text + "' of the " + what + " data must be "
                    + "a string, found " + textType.simpleString());
        }
        if (!List.of(DataTypes.IntegerType, DataTypes.LongType, DataTypes.ShortType).contains(labelType)) {
            throw new IllegalArgumentException("spark-train: column '" + label + "' of the " + what + " data must "
                    + "hold integer class ids, found " + labelType.simpleString() + "; map labels to 0..k-1 first");
        }
    }

    private static List<TextExample> collect(Dataset<Row> data, String text, String label, int numLabels) {
        List<TextExample> out = new ArrayList<>();
        for (Row row : data.select(text, label).collectAsList()) {
            out.add(example(row, numLabels));
        }
        return out;
    }

    static TextExample example(Row row, int numLabels) {
        if (row.isNullAt(0) || row.isNullAt(1)) {
            throw new IllegalArgumentException("spark-train: a row has a null text or label: " + row);
        }
        int label = (int) ((Number) row.get(1)).longValue();
        if (label < 0 || label >= numLabels) {
            throw new IllegalArgumentException("spark-train: label " + label + " is outside [0, " + numLabels
                    + ") in row " + row);
        }
        return new TextExample(row.getString(0), null, label);
    }

    /** Row {@code i} to shard {@code i % n}: the shards are fixed by the input's order, whatever the cluster. */
    static final class ShardPartitioner extends Partitioner {
        private final int shards;

        ShardPartitioner(int shards) {
            this.shards = shards;
        }

        @Override
        public int numPartitions() {
            return shards;
        }

        @Override
        public int getPartition(Object key) {
            return (int) Math.floorMod((Long) key, (long) shards);
        }
    }

    /** The barrier task: rebuilds its shard in input order and trains it. */
    static final class ShardTask extends scala.runtime.AbstractFunction1<scala.collection.Iterator<Tuple2<Long, Row>>,
            scala.collection.Iterator<String>> implements Serializable {
        private final ShardTraining training;
        private final int numLabels;

        ShardTask(ShardTraining training, int numLabels) {
            this.training = training;
            this.numLabels = numLabels;
        }

        @Override
        public scala.collection.Iterator<String> apply(scala.collection.Iterator<Tuple2<Long, Row>> rows) {
            BarrierTaskContext context = BarrierTaskContext.get();
            List<Tuple2<Long, Row>> indexed = toList(rows);
            indexed.sort(Comparator.comparing(Tuple2::_1));
            List<TextExample> shard = new ArrayList<>(indexed.size());
            indexed.forEach(t -> shard.add(example(t._2(), numLabels)));
            boolean retried = context.stageAttemptNumber() > 0 || context.attemptNumber() > 0;
            try {
                String result = training.run(context.partitionId(), shard, context::allGather, retried);
                List<String> out = new ArrayList<>();
                out.add(result);
                return scala.jdk.javaapi.CollectionConverters.asScala(out.iterator());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static List<Tuple2<Long, Row>> toList(scala.collection.Iterator<Tuple2<Long, Row>> rows) {
            List<Tuple2<Long, Row>> out = new ArrayList<>();
            while (rows.hasNext()) {
                out.add(rows.next());
            }
            return out;
        }
    }
}
