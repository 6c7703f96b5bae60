package dev.peft4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The load generator: a fixed list of calls run by {@code concurrency} threads over one {@link HttpClient} (HTTP/1.1,
 * kept-alive connections), each thread sending its next call as soon as its last one was answered. A 429 is retried
 * after its Retry-After, a connection failure (the server is down) after 50 ms, each counted on the call; everything
 * else, 200 or not, is the call's answer for the test to judge. Every time is {@link System#nanoTime()}.
 */
final class LoadClient {

    /** How long a connection failure waits before its retry: the restart's downtime is seconds, so 50 ms is fine. */
    private static final long RECONNECT_MILLIS = 50;

    /** One logical request: a tenant's key, the adapter (model) it names, its texts, classify or embed. */
    record Call(int index, String tenant, String key, String model, boolean embed, List<Integer> texts) {
    }

    /** An attempt that got no HTTP answer: when it was sent and when it failed. */
    record Dropped(long sent, long failed, String error) {
    }

    /** What became of one call. */
    static final class Outcome {
        final Call call;
        long firstSent;
        /** The answered attempt: sent, answered (0 when the call gave up). */
        long sent;
        long received;
        int status;
        String body;
        /** 429s answered (each retried); those among them without a Retry-After of whole seconds. */
        int tooMany;
        int withoutRetryAfter;
        final List<Dropped> dropped = new ArrayList<>();
        /** Why the client gave up on this call (its deadline passed), or null. */
        String gaveUp;

        Outcome(Call call) {
            this.call = call;
        }

        /** Answered-attempt latency in ms. */
        double latencyMillis() {
            return (received - sent) / 1e6;
        }

        /** From the first attempt to the answer in ms, retries and their waits included. */
        double endToEndMillis() {
            return (received - firstSent) / 1e6;
        }
    }

    /** A started run: its outcomes once {@link #await} returns. */
    final class Run {
        private final List<Thread> threads = new ArrayList<>();
        private final Outcome[] outcomes;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        final long started = System.nanoTime();
        private final AtomicLong finished = new AtomicLong(Long.MIN_VALUE);

        private Run(int calls) {
            outcomes = new Outcome[calls];
        }

        /** Calls answered (or given up) so far. */
        int completed() {
            return done.get();
        }

        int total() {
            return outcomes.length;
        }

        /** Waits for every thread; the outcomes in call order. */
        List<Outcome> await() throws InterruptedException {
            for (Thread thread : threads) {
                thread.join();
            }
            return List.of(outcomes);
        }

        /** From the start to the last answer, in seconds. */
        double seconds() {
            return (finished.get() - started) / 1e9;
        }
    }

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final IntSupplier port;
    private final List<String> texts;
    private volatile boolean closed;

    /**
     * @param port the server's port, read at every attempt (a restarted server may listen elsewhere)
     * @param texts the texts a call's indices name
     */
    LoadClient(IntSupplier port, List<String> texts) {
        this.port = port;
        this.texts = texts;
    }

    /** Starts {@code concurrency} threads over {@code calls}; a call still unanswered at {@code deadline} gives up. */
    Run start(List<Call> calls, int concurrency, long deadline) {
        Run run = new Run(calls.size());
        for (int t = 0; t < concurrency; t++) {
            Thread thread = new Thread(() -> {
                int i;
                while ((i = run.next.getAndIncrement()) < calls.size()) {
                    run.outcomes[i] = execute(calls.get(i), deadline);
                    run.finished.accumulateAndGet(System.nanoTime(), Math::max);
                    run.done.incrementAndGet();
                }
            }, "load-" + t);
            thread.setDaemon(true); // a failed test must not wait on them
            run.threads.add(thread);
            thread.start();
        }
        return run;
    }

    /** One call alone, on the caller's thread. */
    Outcome execute(Call call, long deadline) {
        Outcome outcome = new Outcome(call);
        outcome.firstSent = System.nanoTime();
        while (true) {
            long sent = System.nanoTime();
            if (closed) {
                outcome.gaveUp = "the client was closed";
                return outcome;
            }
            if (sent > deadline) {
                outcome.gaveUp = "deadline passed after " + outcome.tooMany + " 429s and " + outcome.dropped.size()
                        + " dropped attempts";
                return outcome;
            }
            try {
                HttpResponse<String> response = client.send(request(call), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 429) {
                    outcome.tooMany++;
                    OptionalLong seconds = retryAfterSeconds(response);
                    if (seconds.isEmpty()) {
                        outcome.withoutRetryAfter++;
                    }
                    sleep(seconds.orElse(1) * 1000);
                    continue;
                }
                outcome.sent = sent;
                outcome.received = System.nanoTime();
                outcome.status = response.statusCode();
                outcome.body = response.body();
                return outcome;
            } catch (IOException e) {
                outcome.dropped.add(new Dropped(sent, System.nanoTime(), e.toString()));
                sleep(RECONNECT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                outcome.gaveUp = "interrupted";
                return outcome;
            }
        }
    }

    private static OptionalLong retryAfterSeconds(HttpResponse<String> response) {
        try {
            return response.headers().firstValue("Retry-After").map(v -> OptionalLong.of(Long.parseLong(v.trim())))
                    .orElse(OptionalLong.empty());
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    private HttpRequest request(Call call) {
        String body;
        try {
            body = Http.JSON.writeValueAsString(Map.of("model", call.model(), "input",
                    call.texts().stream().map(texts::get).toList()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.getAsInt()
                        + (call.embed() ? "/v1/embeddings" : "/v1/classify")))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + call.key())
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** An admin request: sent and answered times, status and body; an attempt that got no answer has status 0. */
    record Admin(String method, String path, long sent, long received, int status, String body) {

        boolean acknowledged() {
            return status == 200;
        }
    }

    /** One admin request, not retried: a PUT cut off by a kill is reported as unanswered (status 0). */
    Admin admin(String method, String path, String key, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.getAsInt() + path))
                .timeout(Duration.ofSeconds(60)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build();
        long sent = System.nanoTime();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            return new Admin(method, path, sent, System.nanoTime(), response.statusCode(), response.body());
        } catch (IOException e) {
            return new Admin(method, path, sent, System.nanoTime(), 0, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Admin(method, path, sent, System.nanoTime(), 0, "interrupted");
        }
    }

    /** Makes every call give up at its next attempt (a failed test stops its load). */
    void close() {
        closed = true;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
