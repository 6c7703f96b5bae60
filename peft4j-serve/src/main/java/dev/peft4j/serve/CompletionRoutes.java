package dev.peft4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.models.generate.FinishReason;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * {@code POST /v1/completions} on a decoder server, in OpenAI's shape: the whole answer as one JSON object, or with
 * {@code "stream": true} as Server-Sent Events ({@code data: <chunk>}, one per piece of final text, each flushed, a
 * chunk with the {@code finish_reason} when a prompt ends, then {@code data: [DONE]}). Every prompt is one row of
 * the completions batcher, so requests of many tenants share each step's forward.
 */
final class CompletionRoutes implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(CompletionRoutes.class.getName());

    private final AdapterStore store;
    private final ServedDecoder model;
    private final ServeLimits limits;
    private final ServeMetrics metrics;
    private final RequestBatcher<Completions.Row, Generator.Result> batcher;

    CompletionRoutes(AdapterStore store, ServeLimits limits, ServeMetrics metrics) {
        this.store = store;
        this.model = store.decoder();
        this.limits = limits;
        this.metrics = metrics;
        Completions completions = new Completions(model, store::loadedName);
        this.batcher = new RequestBatcher<>("complete", limits.queueCapacity(), limits.maxBatchRows(),
                limits.maxWaitMillis(), completions::complete, metrics::batch);
    }

    RequestBatcher<Completions.Row, Generator.Result> batcher() {
        return batcher;
    }

    void complete(Context ctx, String tenant) throws Exception {
        JsonNode body = HttpJson.body(ctx, limits.maxBodyBytes());
        CompletionRequest request = CompletionRequest.parse(body, limits, model::encode, model.maxPositions());
        String adapter = ServeServer.BASE_MODEL.equals(request.model()) ? AdapterSelection.BASE
                : store.forTenant(tenant, request.model()).key();
        Response response = new Response("cmpl-" + UUID.randomUUID().toString().replace("-", ""),
                Instant.now().getEpochSecond(), request.model());
        if (request.stream()) {
            stream(ctx, request, adapter, response);
            return;
        }
        List<Generator.Result> results = RequestBatcher.await(batcher.submit(rows(request, adapter,
                TokenStream.NONE)), limits.timeoutMillis(), request.model());
        ObjectNode out = response.head();
        ArrayNode choices = out.putArray("choices");
        for (int i = 0; i < results.size(); i++) {
            response.choice(choices, i, results.get(i).text(), results.get(i).reason());
        }
        out.set("usage", usage(request, results));
        metrics.completionTokens(completionTokens(results));
        HttpJson.send(ctx, 200, out);
    }

    private static List<Completions.Row> rows(CompletionRequest request, String adapter, TokenStream sink) {
        List<Completions.Row> rows = new ArrayList<>();
        for (int i = 0; i < request.promptIds().size(); i++) {
            rows.add(new Completions.Row(adapter, request.promptIds().get(i), i,
                    new Generator.RowConfig(request.config(), i), sink));
        }
        return rows;
    }

    /** What the generating thread hands the request's thread: a piece of text, a prompt's finish, or the end. */
    private record Event(int index, String text, FinishReason finish, List<Generator.Result> results,
            Throwable error, boolean done) {
    }

    /**
     * Streams on the request's own thread: the batcher's worker only queues events (it must never block on a slow
     * client, which would stall every tenant's rows), and this thread writes and flushes them. Nothing is sent until
     * the first event, so a request that fails before generating (its adapter deleted while it waited, a timeout in
     * the queue) still gets a plain JSON error with its status; a failure after that arrives as a {@code data:}
     * event with an {@code error} object, as vLLM sends it, then {@code [DONE]}. The servlet's own output stream is
     * written (not Javalin's, which may compress and so buffer), and not through Javalin's {@code SseClient}, which
     * would make the request asynchronous and escape the drain on stop.
     */
    private void stream(Context ctx, CompletionRequest request, String adapter, Response response) throws Exception {
        BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        TokenStream sink = new TokenStream() {
            @Override
            public void onText(int row, String newText) {
                events.add(new Event(row, newText, null, null, null, false));
            }

            @Override
            public void onFinish(int row, FinishReason reason) {
                events.add(new Event(row, "", reason, null, null, false));
            }
        };
        CompletableFuture<List<Generator.Result>> future = batcher.submit(rows(request, adapter, sink));
        future.whenComplete((results, error) -> events.add(new Event(-1, null, null, results, error, true)));
        Event event = events.poll(limits.timeoutMillis(), TimeUnit.MILLISECONDS);
        if (event == null) {
            future.cancel(false);
            throw RequestBatcher.timeout(limits.timeoutMillis());
        }
        if (event.done() && event.error() != null) {
            throw RequestBatcher.failure(event.error(), request.model());
        }
        ctx.status(200);
        ctx.res().setContentType("text/event-stream");
        ctx.res().setCharacterEncoding("UTF-8");
        ctx.res().setHeader("Cache-Control", "no-cache");
        ctx.res().setHeader("X-Accel-Buffering", "no"); // proxies such as nginx must not hold the events back
        OutputStream out = ctx.res().getOutputStream();
        try {
            while (true) {
                if (event.done()) {
                    finish(out, request, response, event);
                    return;
                }
                ObjectNode chunk = response.head();
                response.choice(chunk.putArray("choices"), event.index(), event.text(), event.finish());
                send(out, HttpJson.write(chunk));
                event = events.take();
            }
        } catch (IOException clientGone) {
            // the client closed the connection: its rows run to their end in the batch, nobody reads them
            LOG.fine("A streaming client went away: " + clientGone.getMessage());
        }
    }

    private void finish(OutputStream out, CompletionRequest request, Response response, Event done)
            throws IOException {
        if (done.error() != null) {
            Exception failure = RequestBatcher.failure(done.error(), request.model());
            ServeException e = failure instanceof ServeException serve ? serve : new ServeException(500,
                    "server_error", "internal_error", "The server failed: " + failure.getMessage());
            send(out, HttpJson.write(HttpJson.errorBody(e)));
        } else {
            metrics.completionTokens(completionTokens(done.results()));
            if (request.includeUsage()) {
                ObjectNode chunk = response.head();
                chunk.putArray("choices");
                chunk.set("usage", usage(request, done.results()));
                send(out, HttpJson.write(chunk));
            }
        }
        send(out, "[DONE]");
    }

    private static void send(OutputStream out, String data) throws IOException {
        out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static int completionTokens(List<Generator.Result> results) {
        return results.stream().mapToInt(r -> r.tokens().length).sum();
    }

    /** Prompt tokens count BOS, completion tokens count an end-of-sequence token the model emitted (as vLLM). */
    private static ObjectNode usage(CompletionRequest request, List<Generator.Result> results) {
        int prompt = request.promptIds().stream().mapToInt(ids -> ids.length).sum();
        int completion = completionTokens(results);
        return HttpJson.JSON.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    /** The fields every response object and chunk of one request shares. */
    private record Response(String id, long created, String model) {

        ObjectNode head() {
            return HttpJson.JSON.createObjectNode().put("id", id).put("object", "text_completion")
                    .put("created", created).put("model", model);
        }

        void choice(ArrayNode choices, int index, String text, FinishReason reason) {
            ObjectNode choice = choices.addObject().put("text", text).put("index", index);
            choice.putNull("logprobs");
            if (reason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", reason.apiValue());
            }
        }
    }

    @Override
    public void close() {
        batcher.close();
    }
}
