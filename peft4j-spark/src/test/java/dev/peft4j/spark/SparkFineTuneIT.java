package dev.peft4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.peft4j.apps.text.AdapterOutput;
import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import dev.peft4j.core.precision.Precision;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.PretrainedEncoders;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.data.Datasets;
import dev.peft4j.train.data.Split;
import dev.peft4j.train.data.TextExample;
import dev.peft4j.train.loop.ShardedBatches;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.objective.ClassificationObjective;
import dev.peft4j.train.text.TextClassifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Spark in local mode ({@code local[2,4]}: two task slots, a failed task may be retried), real MiniLM weights,
 * real SpamAssassin e-mails: two workers with 4 examples each per step against one process accumulating the same
 * two micro-batches of 4, a task lost mid-training, and an executor with other model bytes.
 */
class SparkFineTuneIT {

    private static SparkSession spark;
    private static Split spam;
    private static final MethodSpec LOLDU = new MethodSpec("loldu", 8, null, null, List.of("query", "value"), false,
            Map.of());

    @BeforeAll
    static void start() throws Exception {
        spark = SparkSession.builder().master("local[2,4]").appName("peft4j-spark-test")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1").getOrCreate();
        spam = Datasets.byName("spam", ArtifactCache.defaultCache(), 42);
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    private static List<TextExample> train() {
        return spam.train().examples().subList(0, 40);
    }

    private static List<TextExample> validation() {
        return spam.validation().examples().subList(0, 16);
    }

    private static SparkTrainConfig config(Path dir, SparkTrainConfig.FaultInjection faults) {
        return new SparkTrainConfig("all-minilm-l6-v2", 32, "MEAN", SparkTrainConfig.MethodSpecData.of(LOLDU), 2,
                1e-2f, 2e-3f, 0f, 0.06f, 2, 4, 5, "accuracy", dir.resolve("checkpoints").toString(), 2,
                dir.resolve("adapter").toString(), SparkTrainConfig.DEFAULT_MAX_SYNC_FLOATS, faults);
    }

    private static JsonNode runSpark(SparkTrainConfig config) {
        return SparkFineTune.run(SparkFineTune.dataset(spark, train()), SparkFineTune.dataset(spark, validation()),
                SparkFineTune.dataset(spark, validation()), "text", "label", spam.train().labelNames(), config);
    }

    private static Map<String, TensorData> adapter(Path dir) throws Exception {
        return SafeTensors.read(dir.resolve("adapter_model.safetensors")).tensors();
    }

    private static void assertSameAdapter(Path expected, Path actual) throws Exception {
        Map<String, TensorData> a = adapter(expected);
        Map<String, TensorData> b = adapter(actual);
        assertEquals(a.keySet(), b.keySet());
        // exact: the workers' mean (g0 + g1) / 2 is the single process's g0 / 2 + g1 / 2 bit for bit (halving is
        // exact in floating point), and dropout is seeded by the same micro-batch numbers
        a.forEach((k, v) -> assertArrayEquals(v.asFloats(), b.get(k).asFloats(), 0f, k));
    }

    /** One process over the same two shards (row i to shard i % 2), accumulating one micro-batch of each per step. */
    private static Path singleProcess(Path dir) throws Exception {
        List<List<TextExample>> shards = List.of(new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < train().size(); i++) {
            shards.get(i % 2).add(train().get(i));
        }
        ArtifactCache cache = ArtifactCache.defaultCache();
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = PretrainedEncoders.encoder(PretrainedModel.ALL_MINILM_L6_V2, cache, manager);
                BertTokenizer tokenizer = PretrainedEncoders.tokenizer(PretrainedModel.ALL_MINILM_L6_V2, cache, 32)) {
            SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 2, 5);
            Peft.setPrecision(classifier, Precision.FP32);
            PeftModel peft = Peft.wrap(classifier, LOLDU.toConfig(List.of(SequenceClassifier.HEAD)));
            TrainerConfig trainer = TrainerConfig.builder().optEpochs(2).optLearningRate(1e-2f)
                    .optHeadLearningRate(2e-3f).optWarmupRatio(0.06f).optBatchSize(4).optGradientAccumulation(2)
                    .optSeed(5).optSelectionMetric("accuracy").build();
            new Trainer<>(new ClassificationObjective<>(new TextClassifier(tokenizer, classifier, peft)), trainer)
                    .fit(ShardedBatches.interleaved(shards, 4, 5), validation(), validation());
            Path out = dir.resolve("single");
            AdapterOutput.save(peft, out, SaveMode.COMPACT);
            classifier.close();
            return out;
        }
    }

    @Test
    void twoWorkersEqualOneProcessWithTheirGlobalBatchAndSurviveALostTask(@TempDir Path tmp) throws Exception {
        JsonNode plain = runSpark(config(tmp.resolve("plain"), SparkTrainConfig.FaultInjection.NONE));
        assertEquals(2, plain.get("workers").asInt());
        assertEquals(5, plain.get("steps_per_epoch").asInt(), "20 rows per shard / 4 per step");
        assertEquals(-1, plain.get("resumed_from_step").asInt());
        assertTrue(plain.get("bytes_sent_per_worker_per_step").asLong() > 0);
        assertSameAdapter(singleProcess(tmp), tmp.resolve("plain/adapter"));

        // worker 1 dies before step 7 in the stage's first attempt; Spark restarts the stage, which resumes from the
        // checkpoint worker 0 wrote at step 6 and must end where the run without the fault ended
        JsonNode faulty = runSpark(config(tmp.resolve("fault"), new SparkTrainConfig.FaultInjection(1, 7, -1)));
        assertEquals(6, faulty.get("resumed_from_step").asInt());
        assertSameAdapter(tmp.resolve("plain/adapter"), tmp.resolve("fault/adapter"));
    }

    @Test
    void anExecutorWithOtherModelBytesStopsTheJobNamingTheMismatch(@TempDir Path tmp) {
        Exception e = assertThrows(Exception.class, () -> runSpark(config(tmp, new SparkTrainConfig.FaultInjection(
                -1, -1, 1))));
        String message = String.valueOf(e.getMessage());
        assertTrue(message.contains("BaseModelMismatch") && message.contains("worker 1 has model fingerprint"),
                message);
    }
}
