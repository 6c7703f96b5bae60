package dev.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.peft4j.apps.text.FineTuneJob;
import dev.peft4j.apps.text.FineTuneRequest;
import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.apps.text.TaskSource;
import dev.peft4j.apps.text.TrainedClassifier;
import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.data.TextExample;
import dev.peft4j.train.loop.TrainerConfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server on real weights and real data: a LoLDU adapter trained briefly on SpamAssassin with all-MiniLM-L6-v2
 * (the README's job, small), installed for one tenant over HTTP; its served probabilities equal the in-process
 * classifier's for the same texts, another tenant cannot see it, and a new server on the same state serves it again.
 */
class ServeMiniLmIT {

    @TempDir
    Path dir;

    @Test
    void aTrainedSpamAdapterIsServedAsInProcessAndSurvivesARestart() throws Exception {
        ArtifactCache cache = ArtifactCache.defaultCache();
        Path adapter = dir.resolve("adapter");
        FineTuneJob.run(new FineTuneRequest(PretrainedModel.ALL_MINILM_L6_V2, TaskSource.builtIn("spam"),
                new MethodSpec("loldu", 16, null, null, List.of("all-linear"), false, null),
                TrainerConfig.builder().optEpochs(1).optBatchSize(16).optLearningRate(3e-3f)
                        .optHeadLearningRate(2e-3f).optSeed(1).build(), 64, SequenceClassifier.Pooling.MEAN, 96,
                adapter, SaveMode.COMPACT), cache);
        List<String> texts = List.of("Congratulations! You won a FREE prize, click here now to claim your cash",
                "Hi Bob, the meeting moved to 3pm, see you then");
        float[] expected;
        try (TrainedClassifier local = TrainedClassifier.open(adapter, cache);
                NDManager manager = NDManager.newBaseManager()) {
            List<TextExample> batch = texts.stream().map(t -> new TextExample(t, null, 0)).toList();
            expected = local.textClassifier().logits(batch, manager, false).softmax(-1).toFloatArray();
        }
        Path state = dir.resolve("state");
        String acme;
        String globex;
        ApiKeys keys = ApiKeys.open(state);
        String admin = keys.initAdmin();
        try (ServeServer server = start(keys, state, cache)) {
            acme = keys.createTenantKey("acme");
            globex = keys.createTenantKey("globex");
            Http http = new Http(server.port());
            HttpResponse<String> put = http.send("PUT", "/admin/adapters/acme/spam", admin,
                    Http.JSON.writeValueAsString(Map.of("path", adapter.toString())));
            assertEquals(200, put.statusCode(), put.body());
            assertProbabilities(http.send("POST", "/v1/classify", acme, Http.classify("spam", texts.toArray(
                    String[]::new))), expected);
            assertEquals(404, http.send("POST", "/v1/classify", globex, Http.classify("spam", "x")).statusCode());
        }
        try (ServeServer restarted = start(ApiKeys.open(state), state, cache)) {
            assertProbabilities(new Http(restarted.port()).send("POST", "/v1/classify", acme,
                    Http.classify("spam", texts.toArray(String[]::new))), expected);
        }
    }

    private static ServeServer start(ApiKeys keys, Path state, ArtifactCache cache) throws Exception {
        AdapterStore store = new AdapterStore(state, ServedEncoder.open("all-minilm-l6-v2", cache, 64,
                SequenceClassifier.Pooling.MEAN, 2));
        assertTrue(store.restore().isEmpty(), "every stored adapter restores");
        return new ServeServer(keys, store, ServeLimits.defaults()).start("127.0.0.1", 0);
    }

    /**
     * Served against in-process: the same weights and texts, but the server batches the two texts with the tokenizer
     * settings of the serve command; padding to another length moves fp32 sums by ~1e-7, so 1e-5 on probabilities.
     */
    private static void assertProbabilities(HttpResponse<String> response, float[] expected) {
        assertEquals(200, response.statusCode(), response.body());
        JsonNode data = Http.json(response).get("data");
        for (int row = 0; row < 2; row++) {
            JsonNode p = data.get(row).get("probabilities");
            assertEquals(expected[row * 2], p.get("ham").asDouble(), 1e-5, "row " + row + " ham");
            assertEquals(expected[row * 2 + 1], p.get("spam").asDouble(), 1e-5, "row " + row + " spam");
        }
    }
}
