package dev.peft4j.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.core.adapter.AdapterSelection;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * The HTTP face of the adapter server (OpenAI-shaped where OpenAI has the endpoint): tenants classify and embed
 * with their own adapters over one shared base, the admin creates tenants and installs adapters. Every route runs
 * through {@link #route}, which authenticates, maps every failure to OpenAI's error shape and records the metrics,
 * so no endpoint can forget one of those.
 */
public final class ServeServer implements AutoCloseable {

    /** The model name that selects the base encoder without an adapter. */
    public static final String BASE_MODEL = "base";
    private static final Logger LOG = Logger.getLogger(ServeServer.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JSON_TYPE = "application/json";
    /** How long Jetty's stop waits for responses still being written after the handlers have returned. */
    private static final long FLUSH_MILLIS = 5_000;

    /** Who may call a route. */
    private enum Access { PUBLIC, TENANT, ADMIN }

    private final ApiKeys keys;
    private final AdapterStore store;
    private final ServeLimits limits;
    private final ServeMetrics metrics = new ServeMetrics();
    private final RequestBatcher<Classification.Row, Classification.Result> classifyBatcher;
    private final RequestBatcher<ServedEncoder.Row, float[]> embedBatcher;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stopping;
    private Javalin app;

    public ServeServer(ApiKeys keys, AdapterStore store, ServeLimits limits) {
        this.keys = keys;
        this.store = store;
        this.limits = limits;
        Classification classification = new Classification(store.model(), store::loadedName);
        this.classifyBatcher = new RequestBatcher<>("classify", limits.queueCapacity(), limits.maxBatchRows(),
                limits.maxWaitMillis(), classification::classify, metrics::batch);
        this.embedBatcher = new RequestBatcher<>("embed", limits.queueCapacity(), limits.maxBatchRows(),
                limits.maxWaitMillis(), classification::embed, metrics::batch);
        metrics.queueDepth(() -> classifyBatcher.queued() + embedBatcher.queued());
    }

    /** Starts listening on {@code host}:{@code port} (0: an ephemeral port, see {@link #port()}). */
    public ServeServer start(String host, int port) {
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = Math.max(limits.maxBodyBytes() * 4, 1 << 16); // ours answers first
            // Jetty's graceful stop: responses being written when stop() comes are finished, not cut off
            config.jetty.modifyServer(server -> {
                server.setHandler(new GracefulHandler());
                server.setStopTimeout(FLUSH_MILLIS);
            });
            config.routes.get("/health", route("health", Access.PUBLIC, this::health));
            config.routes.get("/metrics", route("metrics", Access.PUBLIC, (ctx, who) -> {
                ctx.status(200).contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
            }));
            config.routes.get("/v1/models", route("models", Access.TENANT, this::models));
            config.routes.post("/v1/classify", route("classify", Access.TENANT, this::classify));
            config.routes.post("/v1/embeddings", route("embeddings", Access.TENANT, this::embeddings));
            config.routes.post("/admin/tenants", route("admin_tenants", Access.ADMIN, this::createTenant));
            config.routes.put("/admin/adapters/{tenant}/{name}", route("admin_put", Access.ADMIN, this::putAdapter));
            config.routes.delete("/admin/adapters/{tenant}/{name}", route("admin_delete", Access.ADMIN,
                    this::deleteAdapter));
        });
        app.start(host, port);
        return this;
    }

    /** The port listened on. */
    public int port() {
        return app.port();
    }

    /** The classify batcher (tests watch its queue). */
    RequestBatcher<Classification.Row, Classification.Result> classifyBatcher() {
        return classifyBatcher;
    }

    @FunctionalInterface
    private interface Endpoint {
        void handle(Context ctx, String caller) throws Exception;
    }

    private Handler route(String name, Access access, Endpoint endpoint) {
        return ctx -> {
            long start = System.nanoTime();
            inFlight.incrementAndGet();
            try {
                if (stopping) {
                    throw new ServeException(503, "server_error", "shutting_down", "The server is shutting down; "
                            + "retry against another instance");
                }
                endpoint.handle(ctx, authenticate(ctx, access));
            } catch (ServeException e) {
                error(ctx, e);
            } catch (HttpResponseException e) {
                error(ctx, new ServeException(e.getStatus(), "invalid_request_error", "http_" + e.getStatus(),
                        e.getMessage()));
            } catch (Exception e) {
                LOG.log(Level.WARNING, "Request to " + name + " failed", e);
                error(ctx, new ServeException(500, "server_error", "internal_error", "The server failed: "
                        + e.getMessage()));
            } finally {
                inFlight.decrementAndGet();
                metrics.request(name, ctx.statusCode(), System.nanoTime() - start);
            }
        };
    }

    /** The caller's tenant (TENANT), "admin" (ADMIN) or null (PUBLIC); otherwise a 401 or 403. */
    private String authenticate(Context ctx, Access access) {
        if (access == Access.PUBLIC) {
            return null;
        }
        String header = ctx.header("Authorization");
        if (header == null || !header.startsWith("Bearer ") || header.length() <= 7) {
            throw new ServeException(401, "invalid_request_error", "missing_api_key", "Expected an "
                    + "'Authorization: Bearer <key>' header, found " + (header == null ? "none" : "another scheme"));
        }
        String key = header.substring(7).trim();
        if (access == Access.ADMIN) {
            if (keys.isAdmin(key)) {
                return "admin";
            }
            throw new ServeException(keys.tenantOf(key) != null ? 403 : 401, "invalid_request_error",
                    "invalid_api_key", "This endpoint needs the admin key; the key given is not it");
        }
        String tenant = keys.tenantOf(key);
        if (tenant == null) {
            throw new ServeException(401, "invalid_request_error", "invalid_api_key", "Incorrect API key "
                    + "provided; ask the server's admin for a tenant key (POST /admin/tenants)");
        }
        return tenant;
    }

    /**
     * Liveness for anyone; the number of installed adapters (all tenants together) only for the admin key, since
     * a tenant or an anonymous caller may not learn how many adapters others have.
     */
    private void health(Context ctx, String ignored) {
        ObjectNode body = JSON.createObjectNode().put("status", "ok");
        String header = ctx.header("Authorization");
        if (header != null && header.startsWith("Bearer ") && keys.isAdmin(header.substring(7).trim())) {
            body.put("adapters", store.size());
        }
        json(ctx, 200, body);
    }

    private void models(Context ctx, String tenant) {
        ObjectNode body = JSON.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        data.addObject().put("id", BASE_MODEL).put("object", "model").put("owned_by", "system");
        for (AdapterStore.Entry entry : store.list(tenant)) {
            data.addObject().put("id", entry.name()).put("object", "model").put("owned_by", tenant);
        }
        json(ctx, 200, body);
    }

    private void classify(Context ctx, String tenant) throws Exception {
        JsonNode body = body(ctx);
        String model = text(body, "model");
        if (BASE_MODEL.equals(model)) {
            throw ServeException.invalid("invalid_model", "The base model has no trained classifier head; name one "
                    + "of your adapters (GET /v1/models) in 'model'");
        }
        AdapterStore.Installed adapter = adapter(tenant, model);
        List<Classification.Row> rows = new ArrayList<>();
        for (String text : inputs(body)) {
            rows.add(new Classification.Row(adapter.key(), adapter.entry().labels(), text));
        }
        List<Classification.Result> results = await(classifyBatcher.submit(rows), model);
        ObjectNode out = JSON.createObjectNode().put("object", "list").put("model", model);
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < results.size(); i++) {
            ObjectNode row = data.addObject().put("index", i).put("label", results.get(i).label());
            ObjectNode probabilities = row.putObject("probabilities");
            results.get(i).probabilities().forEach(probabilities::put);
        }
        json(ctx, 200, out);
    }

    private void embeddings(Context ctx, String tenant) throws Exception {
        JsonNode body = body(ctx);
        String model = text(body, "model");
        String internal = BASE_MODEL.equals(model) ? AdapterSelection.BASE : adapter(tenant, model).key();
        List<ServedEncoder.Row> rows = new ArrayList<>();
        for (String text : inputs(body)) {
            rows.add(new ServedEncoder.Row(internal, text));
        }
        List<float[]> vectors = await(embedBatcher.submit(rows), model);
        ObjectNode out = JSON.createObjectNode().put("object", "list").put("model", model);
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < vectors.size(); i++) {
            ArrayNode vector = data.addObject().put("object", "embedding").put("index", i).putArray("embedding");
            for (float v : vectors.get(i)) {
                vector.add(v);
            }
        }
        json(ctx, 200, out);
    }

    private void createTenant(Context ctx, String admin) throws IOException {
        String tenant = Names.require("tenant", text(body(ctx), "tenant"));
        json(ctx, 200, JSON.createObjectNode().put("tenant", tenant).put("key", keys.createTenantKey(tenant)));
    }

    private void putAdapter(Context ctx, String admin) throws IOException {
        String path = text(body(ctx), "path");
        AdapterStore.Entry entry = store.put(ctx.pathParam("tenant"), ctx.pathParam("name"), Path.of(path));
        ObjectNode out = JSON.createObjectNode().put("tenant", entry.tenant()).put("name", entry.name())
                .put("added", entry.added());
        entry.labels().forEach(out.putArray("labels")::add);
        json(ctx, 200, out);
    }

    private void deleteAdapter(Context ctx, String admin) throws IOException {
        String tenant = ctx.pathParam("tenant");
        String name = ctx.pathParam("name");
        if (!store.delete(tenant, name)) {
            throw ServeException.modelNotFound(name);
        }
        json(ctx, 200, JSON.createObjectNode().put("tenant", tenant).put("name", name).put("deleted", true));
    }

    /** The caller's adapter; another tenant's is reported exactly as a missing one. */
    private AdapterStore.Installed adapter(String tenant, String model) {
        AdapterStore.Installed adapter;
        try {
            adapter = store.find(tenant, Names.require("adapter", model));
        } catch (ServeException invalidName) {
            adapter = null;
        }
        if (adapter == null) {
            throw ServeException.modelNotFound(model);
        }
        return adapter;
    }

    private <O> List<O> await(CompletableFuture<List<O>> future, String model) throws Exception {
        try {
            return future.get(limits.timeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new ServeException(504, "server_error", "timeout", "The request waited longer than "
                    + limits.timeoutMillis() + " ms for the model; retry, or send fewer texts");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RequestBatcher.RowUnavailableException) {
                throw ServeException.modelNotFound(model);
            }
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** The JSON body, within the size limit; 413 or a 400 naming where the JSON broke. */
    private JsonNode body(Context ctx) {
        if (ctx.contentLength() > limits.maxBodyBytes()) {
            throw tooLarge(ctx.contentLength());
        }
        byte[] bytes = ctx.bodyAsBytes();
        if (bytes.length > limits.maxBodyBytes()) {
            throw tooLarge(bytes.length);
        }
        try {
            JsonNode node = JSON.readTree(bytes);
            if (node == null || !node.isObject()) {
                throw ServeException.invalid("invalid_json", "Expected the body to be a JSON object, found "
                        + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ServeException.invalid("invalid_json", "The body is not valid JSON: " + e.getOriginalMessage()
                    + " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr());
        } catch (IOException e) {
            throw ServeException.invalid("invalid_json", "The body could not be read: " + e.getMessage());
        }
    }

    private ServeException tooLarge(long size) {
        return new ServeException(413, "invalid_request_error", "request_too_large", "The body is " + size
                + " bytes, over the limit of " + limits.maxBodyBytes() + "; send fewer or shorter texts per request");
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual()) {
            throw ServeException.invalid("invalid_" + field, "Expected '" + field + "' to be a string, found "
                    + (value == null ? "none" : value.getNodeType().toString().toLowerCase()));
        }
        return value.asText();
    }

    /** 'input': a string or an array of 1..maxTexts strings of at most maxTextChars each. */
    private List<String> inputs(JsonNode body) {
        JsonNode input = body.get("input");
        List<String> texts = new ArrayList<>();
        if (input != null && input.isTextual()) {
            texts.add(input.asText());
        } else if (input != null && input.isArray()) {
            for (int i = 0; i < input.size(); i++) {
                if (!input.get(i).isTextual()) {
                    throw ServeException.invalid("invalid_input", "Expected 'input[" + i + "]' to be a string, found "
                            + input.get(i).getNodeType().toString().toLowerCase());
                }
                texts.add(input.get(i).asText());
            }
        } else {
            throw ServeException.invalid("invalid_input", "Expected 'input' to be a string or an array of strings, "
                    + "found " + (input == null ? "none" : input.getNodeType().toString().toLowerCase()));
        }
        if (texts.isEmpty()) {
            throw ServeException.invalid("invalid_input", "Expected at least one text in 'input', found an empty "
                    + "array");
        }
        if (texts.size() > limits.maxTexts()) {
            throw ServeException.invalid("too_many_inputs", "Expected at most " + limits.maxTexts() + " texts in "
                    + "'input', found " + texts.size() + "; split the request");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i).length() > limits.maxTextChars()) {
                throw ServeException.invalid("input_too_long", "Expected 'input[" + i + "]' to have at most "
                        + limits.maxTextChars() + " characters, found " + texts.get(i).length() + "; shorten it");
            }
        }
        return texts;
    }

    private static void json(Context ctx, int status, JsonNode body) {
        try {
            ctx.status(status).contentType(JSON_TYPE).result(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A JSON tree always serialises", e);
        }
    }

    private static void error(Context ctx, ServeException e) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", e.getMessage()).put("type", e.type()).put("code", e.code());
        if (e.status() == 429) {
            ctx.header("Retry-After", "1");
        }
        json(ctx, e.status(), body);
    }

    /**
     * Refuses new requests (503), waits up to {@code drainMillis} for those in flight to finish, stops the HTTP
     * server and the batchers, then frees the model.
     */
    public void stop(long drainMillis) {
        stopping = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (app != null) {
            app.stop();
        }
        classifyBatcher.close();
        embedBatcher.close();
        store.model().close();
    }

    @Override
    public void close() {
        stop(10_000);
    }
}
