package dev.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Overload and slowness over HTTP, with the model's forwards held (its write lock taken) so the worker is stuck:
 * a full queue is refused at once with 429 and Retry-After, a request that waits too long gets 504, and the held
 * requests complete once the worker is released. Plus the batcher's gathering on its own.
 */
class BatcherLimitsTest {

    @TempDir
    Path dir;

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    private record Running(ServeServer server, AdapterStore store, Http http, String tenantKey) {
    }

    private Running start(ServeLimits limits) throws IOException {
        Path vocab = TinyBase.vocab(dir.resolve("vocab"));
        Path state = dir.resolve("state");
        ApiKeys keys = ApiKeys.open(state);
        keys.initAdmin();
        AdapterStore store = new AdapterStore(state, TinyBase.served(vocab));
        store.put("one", "a", TinyBase.adapter(dir.resolve("src/a"), TinyBase.BASE_SEED, 0.3f));
        ServeServer server = new ServeServer(keys, store, limits).start("127.0.0.1", 0);
        return new Running(server, store, new Http(server.port()), keys.createTenantKey("one"));
    }

    @Test
    void aFullQueueIsRefusedAtOnceWith429AndTheHeldRequestsFinish() throws Exception {
        Running r = start(ServeLimits.defaults().withQueue(1, 1).withWait(0));
        try {
            String body = Http.classify("a", "good");
            Runnable release = r.store().model().holdForwards();
            CompletableFuture<HttpResponse<String>> first;
            CompletableFuture<HttpResponse<String>> second;
            try {
                first = r.http().sendAsync("POST", "/v1/classify", r.tenantKey(), body);
                await(() -> r.server().classifyBatcher().inFlight() == 1, "the worker holds the first request");
                second = r.http().sendAsync("POST", "/v1/classify", r.tenantKey(), body);
                await(() -> r.server().classifyBatcher().queued() == 1, "the second request is queued");
                HttpResponse<String> third = r.http().send("POST", "/v1/classify", r.tenantKey(), body);
                assertEquals(429, third.statusCode(), third.body());
                assertEquals("1", third.headers().firstValue("Retry-After").orElse(null));
                JsonNode error = Http.json(third).get("error");
                assertEquals("queue_full", error.get("code").asText());
                assertEquals("rate_limit_error", error.get("type").asText());
            } finally {
                release.run();
            }
            assertEquals(200, first.get().statusCode(), first.get().body());
            assertEquals(200, second.get().statusCode(), second.get().body());
            assertEquals(first.get().body(), second.get().body());
            assertTrue(r.http().send("GET", "/metrics", null, null).body()
                    .contains("peft4j_requests_total{endpoint=\"classify\",status=\"429\"} 1.0"));
        } finally {
            r.server().stop(5_000);
        }
    }

    @Test
    void aRequestThatWaitsPastItsTimeoutGets504() throws Exception {
        Running r = start(ServeLimits.defaults().withTimeout(300));
        try {
            Runnable release = r.store().model().holdForwards();
            try {
                HttpResponse<String> slow = r.http().send("POST", "/v1/classify", r.tenantKey(),
                        Http.classify("a", "good"));
                assertEquals(504, slow.statusCode(), slow.body());
                assertEquals("timeout", Http.json(slow).get("error").get("code").asText());
            } finally {
                release.run();
            }
            assertEquals(200, r.http().send("POST", "/v1/classify", r.tenantKey(), Http.classify("a", "good"))
                    .statusCode());
        } finally {
            r.server().stop(5_000);
        }
    }

    @Test
    void theWorkerGathersRequestsUpToMaxRowsIntoOneRun() throws Exception {
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        try (RequestBatcher<Integer, Integer> batcher = new RequestBatcher<>("test", 16, 5, 300,
                rows -> rows.stream().map(x -> x * 10).toList(), sizes::add)) {
            CompletableFuture<List<Integer>> a = batcher.submit(List.of(1, 2));
            CompletableFuture<List<Integer>> b = batcher.submit(List.of(3, 4, 5));
            CompletableFuture<List<Integer>> c = batcher.submit(List.of(6));
            assertEquals(List.of(10, 20), a.get());
            assertEquals(List.of(30, 40, 50), b.get());
            assertEquals(List.of(60), c.get());
            assertEquals(List.of(5, 1), sizes, "a and b fill one batch of 5 rows; c goes into the next");
        }
    }
}
