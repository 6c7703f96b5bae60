package dev.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/completions} over real HTTP with a tiny random Llama base and two tenants' LoLDU adapters: OpenAI's
 * shapes, whole and streamed; served text equal to in-process generation; rows of different tenants, adapters and
 * settings batched into one generation, each equal to its request alone; tenancy; the limits and refusals.
 */
class CompletionsServerTest {

    @TempDir
    Path dir;

    private Path modelDir;
    private Path adapterA;
    private Path adapterB;
    private ServeServer server;
    private AdapterStore store;
    private Http http;
    private String admin;
    private String keyOne;
    private String keyTwo;

    @BeforeEach
    void setUp() throws IOException {
        modelDir = TinyLlama.model(dir.resolve("model"), TinyLlama.BASE_SEED);
        adapterA = TinyLlama.adapter(dir.resolve("src/a"), modelDir, 0.3f);
        adapterB = TinyLlama.adapter(dir.resolve("src/b"), modelDir, -0.4f);
        start(ServeLimits.defaults().withWait(200).withMaxNewTokens(40));
        keyOne = createTenant("one");
        keyTwo = createTenant("two");
        assertEquals(200, install("one", "a", adapterA).statusCode());
        assertEquals(200, install("two", "b", adapterB).statusCode());
    }

    private void start(ServeLimits limits) throws IOException {
        Path state = dir.resolve("state");
        ApiKeys keys = ApiKeys.open(state);
        String created = keys.initAdmin();
        admin = created != null ? created : admin;
        store = new AdapterStore(state, ServedDecoder.open(modelDir.toString()));
        assertEquals(List.of(), store.restore());
        server = new ServeServer(keys, store, limits).start("127.0.0.1", 0);
        http = new Http(server.port());
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

    static String body(Object... fields) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < fields.length; i += 2) {
            map.put((String) fields[i], fields[i + 1]);
        }
        try {
            return Http.JSON.writeValueAsString(map);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<String> complete(String key, String body) {
        return http.send("POST", "/v1/completions", key, body);
    }

    private static GenerationConfig greedy(int tokens) {
        return GenerationConfig.builder().optMaxNewTokens(tokens).build();
    }

    /** The {@code data:} payloads of a Server-Sent Events body, in order. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            assertTrue(event.startsWith("data: "), "an event without 'data: ': " + event);
            out.add(event.substring("data: ".length()));
        }
        assertTrue(body.endsWith("\n\n"), "the stream must end with a blank line");
        return out;
    }

    @Test
    void aCompletionEqualsInProcessGenerationInOpenAisShape() throws IOException {
        long before = Instant.now().getEpochSecond();
        HttpResponse<String> response = complete(keyOne, body("model", "a", "prompt", "Call me", "max_tokens", 12,
                "temperature", 0));
        assertEquals(200, response.statusCode(), response.body());
        JsonNode out = Http.json(response);
        Generator.Result expected = TinyLlama.reference(modelDir, adapterA, "Call me", greedy(12));
        assertTrue(out.get("id").asText().matches("cmpl-[0-9a-f]{32}"), out.get("id").asText());
        assertEquals("text_completion", out.get("object").asText());
        assertTrue(out.get("created").asLong() >= before && out.get("created").asLong() <= before + 60);
        assertEquals("a", out.get("model").asText());
        JsonNode choice = out.get("choices").get(0);
        assertEquals(1, out.get("choices").size());
        assertEquals(expected.text(), choice.get("text").asText());
        assertEquals(0, choice.get("index").asInt());
        assertTrue(choice.get("logprobs").isNull());
        assertEquals(expected.reason().apiValue(), choice.get("finish_reason").asText());
        int promptTokens = store.decoder().encode("Call me").length;
        assertEquals(promptTokens, out.get("usage").get("prompt_tokens").asInt());
        assertEquals(expected.tokens().length, out.get("usage").get("completion_tokens").asInt());
        assertEquals(promptTokens + expected.tokens().length, out.get("usage").get("total_tokens").asInt());

        // the base and another adapter continue differently: the adapter really is applied per request
        JsonNode base = Http.json(complete(keyOne, body("model", "base", "prompt", "Call me", "max_tokens", 12,
                "temperature", 0)));
        assertEquals(TinyLlama.reference(modelDir, null, "Call me", greedy(12)).text(),
                base.get("choices").get(0).get("text").asText());
        assertNotEquals(expected.text(), base.get("choices").get(0).get("text").asText());
        JsonNode other = Http.json(complete(keyTwo, body("model", "b", "prompt", "Call me", "max_tokens", 12,
                "temperature", 0)));
        assertNotEquals(expected.text(), other.get("choices").get(0).get("text").asText());

        // ignore_eos (vLLM's) runs to max_tokens: finish "length", exactly max_tokens tokens
        JsonNode full = Http.json(complete(keyOne, body("model", "a", "prompt", List.of("Call me", "I thought"),
                "max_tokens", 9, "temperature", 0, "ignore_eos", true, "some_future_field", "ignored")));
        for (int i = 0; i < 2; i++) {
            assertEquals(i, full.get("choices").get(i).get("index").asInt());
            assertEquals("length", full.get("choices").get(i).get("finish_reason").asText());
        }
        assertEquals(18, full.get("usage").get("completion_tokens").asInt());
    }

    @Test
    void aStreamedCompletionSendsTheTextAsEventsThenUsageThenDone() throws IOException {
        String request = body("model", "a", "prompt", "Some years ago", "max_tokens", 20, "temperature", 0,
                "ignore_eos", true);
        JsonNode whole = Http.json(complete(keyOne, request));
        HttpResponse<String> response = complete(keyOne, body("model", "a", "prompt", "Some years ago",
                "max_tokens", 20, "temperature", 0, "ignore_eos", true, "stream", true, "stream_options",
                Map.of("include_usage", true)));
        assertEquals(200, response.statusCode(), response.body());
        assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"),
                response.headers().toString());
        List<String> events = events(response.body());
        assertEquals("[DONE]", events.get(events.size() - 1));
        StringBuilder text = new StringBuilder();
        String id = null;
        int finishes = 0;
        int pieces = 0;
        for (String event : events.subList(0, events.size() - 2)) {
            JsonNode chunk = Http.JSON.readTree(event);
            assertEquals("text_completion", chunk.get("object").asText());
            assertEquals("a", chunk.get("model").asText());
            id = id == null ? chunk.get("id").asText() : id;
            assertEquals(id, chunk.get("id").asText(), "every chunk of a request has its id");
            JsonNode choice = chunk.get("choices").get(0);
            assertEquals(0, choice.get("index").asInt());
            assertTrue(choice.get("logprobs").isNull());
            text.append(choice.get("text").asText());
            pieces += choice.get("text").asText().isEmpty() ? 0 : 1;
            if (!choice.get("finish_reason").isNull()) {
                finishes++;
                assertEquals("length", choice.get("finish_reason").asText());
            }
        }
        assertEquals(whole.get("choices").get(0).get("text").asText(), text.toString());
        assertEquals(1, finishes);
        assertTrue(pieces >= 5, "the text must arrive piece by piece as generated, found " + pieces + " pieces");
        JsonNode usage = Http.JSON.readTree(events.get(events.size() - 2));
        assertEquals(0, usage.get("choices").size());
        assertEquals(whole.get("usage"), usage.get("usage"));
    }

    @Test
    void rowsOfDifferentTenantsAndSettingsShareOneGenerationAndEachGetsWhatItGetsAlone() throws Exception {
        String one = body("model", "a", "prompt", List.of("Call me", "Some years ago, never"), "max_tokens", 10,
                "temperature", 0);
        String two = body("model", "b", "prompt", "I thought I would", "max_tokens", 14, "temperature", 0,
                "stop", List.of("the"));
        String sampled = body("model", "base", "prompt", "Call me", "max_tokens", 8, "temperature", 0.9,
                "top_p", 0.95, "seed", 5);
        // all three within the 200 ms gathering window: one generation over the 4 rows
        CompletableFuture<HttpResponse<String>> oneBatched = http.sendAsync("POST", "/v1/completions", keyOne, one);
        CompletableFuture<HttpResponse<String>> twoBatched = http.sendAsync("POST", "/v1/completions", keyTwo, two);
        CompletableFuture<HttpResponse<String>> sampledBatched = http.sendAsync("POST", "/v1/completions", keyOne,
                sampled);
        JsonNode batchedOne = Http.json(oneBatched.get());
        JsonNode batchedTwo = Http.json(twoBatched.get());
        JsonNode batchedSampled = Http.json(sampledBatched.get());
        String metrics = http.send("GET", "/metrics", null, null).body();
        assertTrue(metrics.contains("peft4j_batch_rows_max 4.0"), "expected one batch of 2 + 1 + 1 rows:\n"
                + metrics);

        assertEquals(choices(Http.json(complete(keyOne, one))), choices(batchedOne));
        assertEquals(choices(Http.json(complete(keyTwo, two))), choices(batchedTwo));
        assertEquals(choices(Http.json(complete(keyOne, sampled))), choices(batchedSampled),
                "a seeded sampled request draws the same tokens alone and batched");
        assertEquals(TinyLlama.reference(modelDir, adapterA, "Some years ago, never", greedy(10)).text(),
                batchedOne.get("choices").get(1).get("text").asText());
        Generator.Result expectedTwo = TinyLlama.reference(modelDir, adapterB, "I thought I would",
                greedy(14).toBuilder().optStopStrings("the").build());
        assertEquals(expectedTwo.text(), batchedTwo.get("choices").get(0).get("text").asText());
        assertEquals(expectedTwo.reason().apiValue(), batchedTwo.get("choices").get(0).get("finish_reason").asText());
    }

    /** Each choice's text and finish reason, and the usage: what must not depend on the batch. */
    private static List<String> choices(JsonNode response) {
        List<String> out = new ArrayList<>();
        response.get("choices").forEach(c -> out.add(c.get("index").asInt() + ":" + c.get("text").asText() + ":"
                + c.get("finish_reason").asText()));
        out.add(response.get("usage").toString());
        return out;
    }

    @Test
    void aTenantUsesOnlyItsOwnAdaptersAndAnothersAnswersExactlyAsAMissingOne() {
        HttpResponse<String> others = complete(keyTwo, body("model", "a", "prompt", "Call me", "stream", true));
        assertEquals(404, others.statusCode(), others.body());
        assertEquals("model_not_found", Http.json(others).get("error").get("code").asText());
        HttpResponse<String> missing = complete(keyTwo, body("model", "zzz", "prompt", "Call me", "stream", true));
        assertEquals(others.body().replace("'a'", "'zzz'"), missing.body());
        assertEquals(200, http.send("DELETE", "/admin/adapters/one/a", admin, null).statusCode());
        assertEquals(others.body(), complete(keyTwo, body("model", "a", "prompt", "Call me")).body());
        assertEquals(others.body(), complete(keyOne, body("model", "a", "prompt", "Call me")).body());
        JsonNode models = Http.json(http.send("GET", "/v1/models", keyTwo, null));
        assertEquals("base", models.get("data").get(0).get("id").asText());
        assertEquals("b", models.get("data").get(1).get("id").asText());
        assertEquals(2, models.get("data").size());
        assertEquals(401, complete("pk-wrong", body("model", "b", "prompt", "x")).statusCode());
    }

    @Test
    void requestsOutsideTheLimitsAreRefusedSayingWhy() {
        assertRefused(400, "invalid_n", "Expected 'n' to be 1", body("model", "a", "prompt", "Call me", "n", 2));
        String longPrompt = "Call me Ishmael. ".repeat(20);
        int tokens = store.decoder().encode(longPrompt).length;
        assertTrue(tokens > TinyLlama.POSITIONS, "the prompt must exceed the context: " + tokens);
        assertRefused(400, "context_length_exceeded", "maximum context length is 64 tokens",
                body("model", "a", "prompt", longPrompt));
        // a prompt that fits, with more max_tokens than the context has left after it
        String midPrompt = "Call me Ishmael. ".repeat(6);
        int midTokens = store.decoder().encode(midPrompt).length;
        assertTrue(midTokens > TinyLlama.POSITIONS - 40 && midTokens < TinyLlama.POSITIONS, "tokens: " + midTokens);
        assertRefused(400, "context_length_exceeded", "(at most " + (TinyLlama.POSITIONS - midTokens)
                + " for this prompt)", body("model", "a", "prompt", List.of("x", midPrompt), "max_tokens", 40));
        assertRefused(400, "invalid_max_tokens", "at most 40 tokens", body("model", "a", "prompt", "x",
                "max_tokens", 41));
        assertRefused(400, "invalid_max_tokens", "integer", body("model", "a", "prompt", "x", "max_tokens", 2.5));
        assertRefused(400, "invalid_temperature", "[0.0, 2.0]", body("model", "a", "prompt", "x",
                "temperature", 3));
        assertRefused(400, "invalid_top_p", "(0.0, 1.0]", body("model", "a", "prompt", "x", "top_p", 0));
        assertRefused(400, "invalid_prompt", "token ids are not supported", body("model", "a", "prompt",
                List.of(1, 2, 3)));
        assertRefused(400, "invalid_prompt", "found none", body("model", "a"));
        assertRefused(400, "invalid_stop", "at most 4", body("model", "a", "prompt", "x", "stop",
                List.of("a", "b", "c", "d", "e")));
        assertRefused(400, "unsupported_echo", "does not support", body("model", "a", "prompt", "x", "echo", true));
        assertRefused(400, "unsupported_logprobs", "does not support", body("model", "a", "prompt", "x",
                "logprobs", 2));
        assertRefused(400, "invalid_stream_options", "only with", body("model", "a", "prompt", "x",
                "stream_options", Map.of("include_usage", true)));
        assertRefused(413, "request_too_large", "over the limit", body("model", "a", "prompt",
                "x".repeat((1 << 20) + 10)));
        // the neutral values of those fields are accepted, as are fields this server does not know
        assertEquals(200, complete(keyOne, body("model", "a", "prompt", "x", "max_tokens", 2, "n", 1, "echo",
                false, "logprobs", null, "best_of", 1, "presence_penalty", 0, "user", "u-1", "top_k", 5))
                .statusCode());
    }

    private void assertRefused(int status, String code, String messagePart, String request) {
        HttpResponse<String> response = complete(keyOne, request);
        assertEquals(status, response.statusCode(), response.body());
        JsonNode error = Http.json(response).get("error");
        assertEquals(code, error.get("code").asText(), error.toString());
        assertTrue(error.get("message").asText().contains(messagePart), error.toString());
        assertEquals("invalid_request_error", error.get("type").asText());
    }

    @Test
    void theEncoderEndpointsSayThisServerServesADecoder() {
        HttpResponse<String> classify = http.send("POST", "/v1/classify", keyOne, Http.classify("a", "x"));
        assertEquals(404, classify.statusCode(), classify.body());
        JsonNode error = Http.json(classify).get("error");
        assertEquals("endpoint_not_served", error.get("code").asText());
        assertTrue(error.get("message").asText().contains("serves a decoder")
                && error.get("message").asText().contains("/v1/completions"), error.toString());
        assertEquals(404, http.send("POST", "/v1/embeddings", keyOne, Http.classify("a", "x")).statusCode());
    }

    @Test
    void aStreamWhoseAdapterIsDeletedWhileItWaitsGetsAPlain404() throws Exception {
        Runnable release = store.decoder().holdForwards();
        CompletableFuture<HttpResponse<String>> waiting;
        try {
            waiting = http.sendAsync("POST", "/v1/completions", keyOne, body("model", "a", "prompt", "Call me",
                    "stream", true));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (server.completionBatcher().inFlight() == 0) {
                assertTrue(System.nanoTime() < deadline, "the worker never took the request");
                Thread.sleep(5);
            }
            assertTrue(store.delete("one", "a")); // reentrant write lock: the delete goes through while it waits
        } finally {
            release.run();
        }
        assertEquals(404, waiting.get().statusCode(), waiting.get().body());
        assertEquals("model_not_found", Http.json(waiting.get()).get("error").get("code").asText());
    }

    @Test
    void aFullQueueIsRefusedWith429AndAStreamThatWaitsTooLongGets504() throws Exception {
        server.stop(5_000);
        start(ServeLimits.defaults().withQueue(1, 1).withWait(0).withTimeout(1_500));
        String request = body("model", "base", "prompt", "Call me", "max_tokens", 3, "stream", true);
        Runnable release = store.decoder().holdForwards();
        CompletableFuture<HttpResponse<String>> first;
        CompletableFuture<HttpResponse<String>> second;
        try {
            first = http.sendAsync("POST", "/v1/completions", keyOne, request);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (server.completionBatcher().inFlight() == 0) {
                assertTrue(System.nanoTime() < deadline, "the worker never took the request");
                Thread.sleep(5);
            }
            second = http.sendAsync("POST", "/v1/completions", keyOne, request);
            while (server.completionBatcher().queued() == 0) {
                assertTrue(System.nanoTime() < deadline, "the second request was never queued");
                Thread.sleep(5);
            }
            HttpResponse<String> third = complete(keyOne, request);
            assertEquals(429, third.statusCode(), third.body());
            assertEquals("1", third.headers().firstValue("Retry-After").orElse(null));
            assertEquals(504, first.get().statusCode(), first.get().body());
            assertEquals("timeout", Http.json(first.get()).get("error").get("code").asText());
            assertEquals(504, second.get().statusCode(), second.get().body());
        } finally {
            release.run();
        }
        HttpResponse<String> after = complete(keyOne, request);
        assertEquals(200, after.statusCode(), after.body());
        assertEquals("[DONE]", events(after.body()).get(events(after.body()).size() - 1));
    }
}
