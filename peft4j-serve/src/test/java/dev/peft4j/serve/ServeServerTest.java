package dev.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server over real HTTP on 127.0.0.1 with a tiny random BERT base: two tenants with their own LoLDU adapters,
 * visibility, served results against the in-process ones (alone and batched across tenants), refused adapters,
 * persistence across restarts, limits and errors, metrics, hashed keys.
 */
class ServeServerTest {

    /**
     * Served probabilities against the in-process single request. Not bit for bit: the server's batch is padded to
     * its longest text and, when tenants share a forward, the encoder GEMMs run over more rows and each adapter's
     * head over its sub-batch, so float32 sums may be blocked differently (a few ulp of the logits), and softmax
     * of two logits of order 1e-1 moves a probability by less than 1e-6. Measured with one engine thread: 0.0, alone
     * and batched (the per-row arithmetic does not depend on the other rows here); the bound is for thread counts
     * and CPUs whose GEMM kernels block by batch shape.
     */
    private static final double TOLERANCE = 1e-6;

    @TempDir
    Path dir;

    private Path vocab;
    private Path adapterA;
    private Path adapterB;
    private ServeServer server;
    private Http http;
    private String admin;
    private String keyOne;
    private String keyTwo;
    private List<AdapterStore.Skipped> skipped;
    private AdapterStore serverStore;

    @BeforeEach
    void setUp() throws IOException {
        vocab = TinyBase.vocab(dir.resolve("vocab"));
        adapterA = TinyBase.adapter(dir.resolve("src/a"), TinyBase.BASE_SEED, 0.3f);
        adapterB = TinyBase.adapter(dir.resolve("src/b"), TinyBase.BASE_SEED, -0.4f);
        admin = start(dir.resolve("state"), ServeLimits.defaults().withWait(200));
        assertNotNull(admin);
        assertEquals(List.of(), skipped);
        keyOne = createTenant("one");
        keyTwo = createTenant("two");
        assertEquals(200, install("one", "a", adapterA).statusCode());
        assertEquals(200, install("two", "b", adapterB).statusCode());
    }

    /** Starts a server on {@code state}; returns the admin key when this start created it. */
    private String start(Path state, ServeLimits limits) throws IOException {
        ApiKeys keys = ApiKeys.open(state);
        String adminKey = keys.initAdmin();
        AdapterStore store = new AdapterStore(state, TinyBase.served(vocab));
        serverStore = store;
        skipped = store.restore();
        server = new ServeServer(keys, store, limits).start("127.0.0.1", 0);
        http = new Http(server.port());
        return adminKey;
    }

    @AfterEach
    void tearDown() {
        if (server != null) {
            server.stop(5_000);
        }
    }

    private String createTenant(String tenant) {
        return http.createTenant(admin, tenant);
    }

    private HttpResponse<String> install(String tenant, String name, Path source) {
        return http.installByPath(admin, tenant, name, source);
    }

    private List<String> models(String key) {
        HttpResponse<String> response = http.send("GET", "/v1/models", key, null);
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = Http.json(response);
        assertEquals("list", body.get("object").asText());
        List<String> ids = new ArrayList<>();
        body.get("data").forEach(m -> ids.add(m.get("id").asText()));
        return ids;
    }

    private static double[][] probabilities(HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        return probabilities(response.body());
    }

    private static double[][] probabilities(String body) {
        JsonNode data;
        try {
            data = Http.JSON.readTree(body).get("data");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        double[][] out = new double[data.size()][TinyBase.LABELS.size()];
        for (int i = 0; i < data.size(); i++) {
            for (int j = 0; j < TinyBase.LABELS.size(); j++) {
                out[i][j] = data.get(i).get("probabilities").get(TinyBase.LABELS.get(j)).asDouble();
            }
        }
        return out;
    }

    private static double assertClose(double[][] expected, double[][] actual) {
        assertEquals(expected.length, actual.length);
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) {
                max = Math.max(max, Math.abs(expected[i][j] - actual[i][j]));
            }
        }
        assertTrue(max <= TOLERANCE, "max |served - in-process| = " + max + " > " + TOLERANCE);
        return max;
    }

    @Test
    void eachTenantSeesOnlyItsOwnAdaptersAndAnotherTenantsIsReportedAsMissing() {
        assertEquals(List.of("base", "a"), models(keyOne));
        assertEquals(List.of("base", "b"), models(keyTwo));
        HttpResponse<String> othersAdapter = http.send("POST", "/v1/classify", keyTwo, Http.classify("a", "good"));
        assertEquals(404, othersAdapter.statusCode());
        assertEquals("model_not_found", Http.json(othersAdapter).get("error").get("code").asText());
        // the same request once "a" exists nowhere: the very same body
        assertEquals(200, http.send("DELETE", "/admin/adapters/one/a", admin, null).statusCode());
        HttpResponse<String> missing = http.send("POST", "/v1/classify", keyTwo, Http.classify("a", "good"));
        assertEquals(404, missing.statusCode());
        assertEquals(othersAdapter.body(), missing.body());
        assertEquals(othersAdapter.body(),
                http.send("POST", "/v1/classify", keyOne, Http.classify("a", "good")).body());
        assertEquals(List.of("base"), models(keyOne));
        assertEquals(401, http.send("GET", "/v1/models", "pk-wrong", null).statusCode());
        assertEquals(403, http.send("POST", "/admin/tenants", keyOne, "{\"tenant\":\"x\"}").statusCode());
    }

    @Test
    void servedProbabilitiesEqualTheInProcessResultAloneAndBatchedAcrossTenants() throws Exception {
        List<String> textsA = List.of("the movie was good", "awful plot", "loved it very very much fun");
        List<String> textsB = List.of("boring music", "the actors were great");
        double[][] refA = TinyBase.reference(vocab, adapterA, textsA);
        double[][] refB = TinyBase.reference(vocab, adapterB, textsB);
        assertNotEquals(refA[1][0], TinyBase.reference(vocab, adapterB, List.of(textsA.get(1)))[0][0],
                "two tenants' adapters must give different results");

        double[][] alone = probabilities(http.send("POST", "/v1/classify", keyOne,
                Http.classify("a", textsA.toArray(String[]::new))));
        assertClose(refA, alone);
        JsonNode first = Http.json(http.send("POST", "/v1/classify", keyOne, Http.classify("a", textsA.get(0))));
        String label = first.get("data").get(0).get("label").asText();
        assertEquals(refA[0][0] > refA[0][1] ? "neg" : "pos", label);

        // both within the 200 ms gathering window: one forward over the two tenants' rows
        CompletableFuture<HttpResponse<String>> one = http.sendAsync("POST", "/v1/classify", keyOne,
                Http.classify("a", textsA.toArray(String[]::new)));
        CompletableFuture<HttpResponse<String>> two = http.sendAsync("POST", "/v1/classify", keyTwo,
                Http.classify("b", textsB.toArray(String[]::new)));
        assertClose(refA, probabilities(one.get()));
        assertClose(refB, probabilities(two.get()));
        String metrics = http.send("GET", "/metrics", null, null).body();
        assertTrue(metrics.contains("peft4j_batch_rows_max 5.0"), "expected one batch of 3 + 2 rows:\n" + metrics);
    }

    @Test
    void aBadAdapterIsRefusedByNameAndNotListed() throws IOException {
        Path otherBase = TinyBase.adapter(dir.resolve("src/other"), 99, 0.2f);
        HttpResponse<String> wrongBase = install("one", "other", otherBase);
        assertEquals(422, wrongBase.statusCode(), wrongBase.body());
        JsonNode error = Http.json(wrongBase).get("error");
        assertEquals("invalid_adapter", error.get("code").asText());
        assertTrue(error.get("message").asText().contains("peft4j.base_sha256."), error.toString());

        Path tampered = TinyBase.adapter(dir.resolve("src/tampered"), TinyBase.BASE_SEED, 0.5f);
        Path tensors = tampered.resolve("adapter_model.safetensors");
        byte[] bytes = Files.readAllBytes(tensors);
        bytes[bytes.length - 3] ^= 0x55;
        Files.write(tensors, bytes);
        HttpResponse<String> tamperedResponse = install("one", "tampered", tampered);
        assertEquals(422, tamperedResponse.statusCode(), tamperedResponse.body());
        assertTrue(Http.json(tamperedResponse).get("error").get("message").asText().contains("SHA-256"),
                tamperedResponse.body());

        HttpResponse<String> nonFinite = install("one", "nan", TinyBase.adapter(dir.resolve("src/nan"),
                TinyBase.BASE_SEED, 0.1f, true));
        assertEquals(422, nonFinite.statusCode(), nonFinite.body());
        assertTrue(Http.json(nonFinite).get("error").get("message").asText().toLowerCase().contains("finite"),
                nonFinite.body());

        HttpResponse<String> notAnAdapter = install("one", "empty", Files.createDirectories(dir.resolve("empty")));
        assertEquals(400, notAnAdapter.statusCode(), notAnAdapter.body());
        assertTrue(notAnAdapter.body().contains("adapter_config.json"), notAnAdapter.body());
        assertEquals(400, install("one", "bad~name", adapterA).statusCode());

        // a refused replacement leaves the installed adapter serving as before
        String before = http.send("POST", "/v1/classify", keyOne, Http.classify("a", "good film")).body();
        assertEquals(422, install("one", "a", otherBase).statusCode());
        assertEquals(before, http.send("POST", "/v1/classify", keyOne, Http.classify("a", "good film")).body());
        assertEquals(List.of("base", "a"), models(keyOne));
        assertFalse(Files.exists(dir.resolve("state/adapters/one/other")));
        assertFalse(Files.exists(dir.resolve("state/adapters/one/tampered")));
        assertFalse(Files.exists(dir.resolve("state/adapters/one/nan")));
        assertEquals(List.of(), serverStore.model().loaded().stream().filter(n -> !n.equals("one/a")
                && !n.equals("two/b")).toList(), "a refused adapter stays attached");
    }

    @Test
    void aReplacedAdapterServesTheNewWeights() throws IOException {
        List<String> texts = List.of("the film is bad");
        assertClose(TinyBase.reference(vocab, adapterA, texts),
                probabilities(http.send("POST", "/v1/classify", keyOne, Http.classify("a", "the film is bad"))));
        assertEquals(200, install("one", "a", adapterB).statusCode());
        assertClose(TinyBase.reference(vocab, adapterB, texts),
                probabilities(http.send("POST", "/v1/classify", keyOne, Http.classify("a", "the film is bad"))));
        assertEquals(List.of("base", "a"), models(keyOne));
    }

    @Test
    void theRegistryAndKeysSurviveARestart() throws IOException {
        String body = Http.classify("a", "great actors", "bad music");
        String before = http.send("POST", "/v1/classify", keyOne, body).body();
        JsonNode registry = Http.JSON.readTree(dir.resolve("state").resolve(AdapterStore.REGISTRY).toFile());
        assertEquals(2, registry.size());
        assertEquals("one", registry.get(0).get("tenant").asText());
        assertEquals("a", registry.get(0).get("name").asText());
        assertEquals(TinyBase.LABELS.toString(), Http.JSON.convertValue(registry.get(0).get("labels"), List.class)
                .toString());
        assertNotNull(Instant.parse(registry.get(0).get("added").asText()));
        server.stop(5_000);
        assertEquals(null, start(dir.resolve("state"), ServeLimits.defaults()), "the admin key is created once");
        assertEquals(List.of(), skipped);
        assertEquals(List.of("base", "a"), models(keyOne));
        assertEquals(List.of("base", "b"), models(keyTwo));
        assertClose(probabilities(before), probabilities(http.send("POST", "/v1/classify", keyOne, body)));
        assertTrue(Http.json(http.send("GET", "/health", admin, null)).get("adapters").asInt() == 2);
    }

    @Test
    void limitsAndMalformedRequestsGetNamedClientErrors() {
        HttpResponse<String> malformed = http.send("POST", "/v1/classify", keyOne, "{\"model\": \"a\", \"input\": [");
        assertEquals(400, malformed.statusCode());
        assertEquals("invalid_json", Http.json(malformed).get("error").get("code").asText());
        HttpResponse<String> noModel = http.send("POST", "/v1/classify", keyOne, "{\"input\": [\"x\"]}");
        assertEquals(400, noModel.statusCode());
        assertTrue(Http.json(noModel).get("error").get("message").asText().contains("'model'"));
        HttpResponse<String> badInput = http.send("POST", "/v1/classify", keyOne, "{\"model\":\"a\",\"input\":[1]}");
        assertEquals(400, badInput.statusCode());
        assertTrue(Http.json(badInput).get("error").get("message").asText().contains("'input[0]'"));
        String[] many = new String[65];
        Arrays.fill(many, "good");
        HttpResponse<String> tooMany = http.send("POST", "/v1/classify", keyOne, Http.classify("a", many));
        assertEquals(400, tooMany.statusCode());
        assertEquals("too_many_inputs", Http.json(tooMany).get("error").get("code").asText());
        HttpResponse<String> tooLong = http.send("POST", "/v1/classify", keyOne, Http.classify("a", "x".repeat(8193)));
        assertEquals(400, tooLong.statusCode());
        assertEquals("input_too_long", Http.json(tooLong).get("error").get("code").asText());
        HttpResponse<String> tooLarge = http.send("POST", "/v1/classify", keyOne,
                Http.classify("a", "x".repeat((1 << 20) + 10)));
        assertEquals(413, tooLarge.statusCode(), tooLarge.body());
        assertEquals("request_too_large", Http.json(tooLarge).get("error").get("code").asText());
        assertEquals(401, http.send("POST", "/v1/classify", null, Http.classify("a", "good")).statusCode());
    }

    @Test
    void aBodyOverTheLimitIsAnsweredWith413NotAResetConnection() {
        // unless the server reads what it refuses, the client may still be sending when the connection closes and
        // sees a reset instead of the answer; 8 MiB cannot sit in the sockets' buffers
        // without the read, 60 sends showed the reset in each of 3 runs
        for (int i = 0; i < 60; i++) {
            int size = i % 3 == 0 ? 8 << 20 : (1 << 20) + 10;
            HttpResponse<String> tooLarge = http.send("POST", "/v1/classify", keyOne,
                    Http.classify("a", "x".repeat(size)));
            assertEquals(413, tooLarge.statusCode(), tooLarge.body());
            assertEquals("request_too_large", Http.json(tooLarge).get("error").get("code").asText());
        }
        assertEquals(200, http.send("POST", "/v1/classify", keyOne, Http.classify("a", "good")).statusCode());
    }

    @Test
    void embeddingsOfTheBaseAndOfAnAdapter() {
        JsonNode base = Http.json(http.send("POST", "/v1/embeddings", keyOne, Http.classify("base", "good", "bad")));
        assertEquals("list", base.get("object").asText());
        assertEquals(2, base.get("data").size());
        assertEquals("embedding", base.get("data").get(0).get("object").asText());
        assertEquals(32, base.get("data").get(0).get("embedding").size());
        JsonNode adapted = Http.json(http.send("POST", "/v1/embeddings", keyOne, Http.classify("a", "good", "bad")));
        assertNotEquals(base.get("data").get(0).get("embedding"), adapted.get("data").get(0).get("embedding"));
        assertEquals(404, http.send("POST", "/v1/embeddings", keyTwo, Http.classify("a", "good")).statusCode());
    }

    @Test
    void metricsArePrometheusTextAndKeysAreStoredHashed() throws IOException {
        http.send("POST", "/v1/classify", keyOne, Http.classify("a", "good"));
        HttpResponse<String> metrics = http.send("GET", "/metrics", null, null);
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        for (String name : List.of("# TYPE peft4j_requests_total counter", "peft4j_request_seconds_count",
                "peft4j_batch_rows_bucket", "peft4j_queue_depth",
                "peft4j_requests_total{endpoint=\"classify\",status=\"200\"}")) {
            assertTrue(metrics.body().contains(name), name + " missing from\n" + metrics.body());
        }
        JsonNode health = Http.json(http.send("GET", "/health", admin, null));
        assertEquals("ok", health.get("status").asText());
        assertEquals(2, health.get("adapters").asInt());
        // other callers learn that the server is up, not how many adapters its tenants have
        for (String caller : new String[] {null, keyOne}) {
            JsonNode anonymous = Http.json(http.send("GET", "/health", caller, null));
            assertEquals("ok", anonymous.get("status").asText());
            assertFalse(anonymous.has("adapters"), anonymous.toString());
        }

        String stored = Files.readString(dir.resolve("state").resolve(ApiKeys.FILE));
        for (String key : List.of(admin, keyOne, keyTwo)) {
            assertTrue(key.startsWith("pk-"));
            assertFalse(stored.contains(key), "a key is stored in clear");
            assertFalse(stored.contains(key.substring(3)), "a key is stored in clear");
            assertTrue(stored.contains(ApiKeys.sha256(key)), "a key's SHA-256 is missing");
        }
    }

    @Test
    void anAdapterWhoseFilesBrokeIsSkippedAtRestartAndTheOthersLoad() throws IOException {
        server.stop(5_000);
        Path tensors = dir.resolve("state/adapters/one/a/adapter_model.safetensors");
        byte[] bytes = Files.readAllBytes(tensors);
        bytes[bytes.length - 3] ^= 0x55;
        Files.write(tensors, bytes);
        start(dir.resolve("state"), ServeLimits.defaults());
        assertEquals(1, skipped.size(), skipped.toString());
        assertEquals("one", skipped.get(0).tenant());
        assertEquals("a", skipped.get(0).name());
        assertTrue(skipped.get(0).reason().contains("SHA-256"), skipped.get(0).reason());
        assertEquals(List.of("base"), models(keyOne));
        assertEquals(List.of("base", "b"), models(keyTwo));
        // installing it again repairs it; the skipped entry stayed in the registry until then
        assertTrue(Files.readString(dir.resolve("state").resolve(AdapterStore.REGISTRY)).contains("\"one\""));
        assertEquals(200, install("one", "a", adapterA).statusCode());
        assertEquals(List.of("base", "a"), models(keyOne));
    }

    @Test
    void aRequestWhoseAdapterIsDeletedWhileItWaitsGets404() throws Exception {
        Runnable release = serverStore.model().holdForwards();
        CompletableFuture<HttpResponse<String>> waiting;
        try {
            waiting = http.sendAsync("POST", "/v1/classify", keyOne, Http.classify("a", "good"));
            awaitInFlight();
            // this thread holds the write lock, which is reentrant: the delete goes through while the worker waits
            assertTrue(serverStore.delete("one", "a"));
        } finally {
            release.run();
        }
        assertEquals(404, waiting.get().statusCode(), waiting.get().body());
        assertEquals("model_not_found", Http.json(waiting.get()).get("error").get("code").asText());
    }

    @Test
    void aRequestQueuedDuringAReplaceRunsOnTheReplacement() throws Exception {
        Runnable release = serverStore.model().holdForwards();
        CompletableFuture<HttpResponse<String>> waiting;
        try {
            waiting = http.sendAsync("POST", "/v1/classify", keyOne, Http.classify("a", "the plot was fun"));
            awaitInFlight();
            serverStore.put("one", "a", adapterB); // reentrant write lock: the swap happens while the worker waits
        } finally {
            release.run();
        }
        assertClose(TinyBase.reference(vocab, adapterB, List.of("the plot was fun")), probabilities(waiting.get()));
        assertEquals(Set.of("two/b", serverStore.loadedName("one/a")), serverStore.model().loaded(),
                "the replaced adapter must be freed");
    }

    @Test
    void stopDrainsTheRequestsInFlight() throws Exception {
        Runnable release = serverStore.model().holdForwards();
        CompletableFuture<HttpResponse<String>> waiting;
        Thread stopper;
        try {
            waiting = http.sendAsync("POST", "/v1/classify", keyOne, Http.classify("a", "good"));
            awaitInFlight();
            ServeServer stopping = server;
            stopper = new Thread(() -> stopping.stop(10_000));
            stopper.start();
            Thread.sleep(100);
            assertTrue(stopper.isAlive(), "stop() returned while a request was in flight");
        } finally {
            release.run();
        }
        assertEquals(200, waiting.get().statusCode(), waiting.get().body());
        stopper.join(10_000);
        assertFalse(stopper.isAlive());
        server = null;
    }

    private void awaitInFlight() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (server.classifyBatcher().inFlight() == 0) {
            assertTrue(System.nanoTime() < deadline, "the worker never took the request");
            Thread.sleep(5);
        }
    }
}
