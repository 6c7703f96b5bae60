package dev.peft4j.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.models.generate.Generator;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HttpResponseException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.server.handler.GracefulHandler;

/**
 * The HTTP face of the adapter server (OpenAI-shaped where OpenAI has the endpoint): tenants classify and embed
 * (on an encoder base) or complete (on a decoder base, {@link CompletionRoutes}) with their own adapters over one
 * shared base, the admin creates tenants and installs adapters (by path or uploaded, {@link AdapterUpload}). Every
 * route runs through {@link #route}, which authenticates, maps every failure to OpenAI's error shape and records
 * the metrics, so no endpoint can forget one of those.
 */
public final class ServeServer implements AutoCloseable {

    /** The model name that selects the base model without an adapter. */
    public static final String BASE_MODEL = "base";
    private static final Logger LOG = Logger.getLogger(ServeServer.class.getName());
    private static final ObjectMapper JSON = HttpJson.JSON;
    /** How long Jetty's stop waits for responses still being written after the handlers have returned. */
    private static final long FLUSH_MILLIS = 5_000;

    /** Who may call a route. */
    private enum Access { PUBLIC, TENANT, ADMIN }

    private final ApiKeys keys;
    private final AdapterStore store;
    private final ServeLimits limits;
    private final ServeMetrics metrics = new ServeMetrics();
    // an encoder server has the classify and embed batchers, a decoder server the completions; the others are null
    private final RequestBatcher<Classification.Row, Classification.Result> classifyBatcher;
    private final RequestBatcher<ServedEncoder.Row, float[]> embedBatcher;
    private final CompletionRoutes completions;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean stopping;
    private Javalin app;

    /** A server over {@code store}'s base: the encoder's routes or the decoder's, by what the store serves. */
    public ServeServer(ApiKeys keys, AdapterStore store, ServeLimits limits) {
        this.keys = keys;
        this.store = store;
        this.limits = limits;
        if (store.served() instanceof ServedEncoder encoder) {
            Classification classification = new Classification(encoder, store::loadedName);
            this.classifyBatcher = new RequestBatcher<>("classify", limits.queueCapacity(), limits.maxBatchRows(),
                    limits.maxWaitMillis(), classification::classify, metrics::batch);
            this.embedBatcher = new RequestBatcher<>("embed", limits.queueCapacity(), limits.maxBatchRows(),
                    limits.maxWaitMillis(), classification::embed, metrics::batch);
            this.completions = null;
            metrics.queueDepth(() -> classifyBatcher.queued() + embedBatcher.queued());
        } else {
            this.classifyBatcher = null;
            this.embedBatcher = null;
            this.completions = new CompletionRoutes(store, limits, metrics);
            metrics.queueDepth(() -> completions.batcher().queued());
        }
    }

    /** Starts listening on {@code host}:{@code port} (0: an ephemeral port, see {@link #port()}). */
    public ServeServer start(String host, int port) {
        Path spool = AdapterUpload.spoolDir(store.stateDir());
        try {
            Files.createDirectories(spool);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create " + spool + " for uploads; check the state directory's "
                    + "permissions", e);
        }
        app = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.http.maxRequestSize = Math.max(limits.maxBodyBytes() * 4, 1 << 16); // ours answers first
            // uploaded adapter files: parts over 1 MiB spool into the state directory, the whole upload is capped
            config.jetty.multipartConfig.cacheDirectory(spool.toString());
            config.jetty.multipartConfig.maxInMemoryFileSize(1, SizeUnit.MB);
            config.jetty.multipartConfig.maxFileSize(limits.maxUploadBytes(), SizeUnit.BYTES);
            config.jetty.multipartConfig.maxTotalRequestSize(limits.maxUploadBytes() + (64 << 10), SizeUnit.BYTES);
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
            config.routes.post("/v1/completions", route("completions", Access.TENANT, this::completions));
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

    /** The classify batcher (tests watch its queue); null on a decoder server. */
    RequestBatcher<Classification.Row, Classification.Result> classifyBatcher() {
        return classifyBatcher;
    }

    /** The completions batcher (tests watch its queue); null on an encoder server. */
    RequestBatcher<Completions.Row, Generator.Result> completionBatcher() {
        return completions == null ? null : completions.batcher();
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
                HttpJson.error(ctx, e);
            } catch (HttpResponseException e) {
                HttpJson.error(ctx, new ServeException(e.getStatus(), "invalid_request_error", "http_"
                        + e.getStatus(), e.getMessage()));
            } catch (Exception e) {
                LOG.log(Level.WARNING, "Request to " + name + " failed", e);
                HttpJson.error(ctx, new ServeException(500, "server_error", "internal_error", "The server failed: "
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
        HttpJson.send(ctx, 200, body);
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
        requireEncoder("classify");
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
        requireEncoder("embeddings");
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

    private void completions(Context ctx, String tenant) throws Exception {
        if (completions == null) {
            throw notServed("completions", "an encoder", "POST /v1/classify and /v1/embeddings",
                    "a decoder (peft4j serve --model llama-en-4m, or a Llama directory)");
        }
        completions.complete(ctx, tenant);
    }

    private void requireEncoder(String endpoint) {
        if (classifyBatcher == null) {
            throw notServed(endpoint, "a decoder", "POST /v1/completions",
                    "an encoder (peft4j serve --model all-minilm-l6-v2)");
        }
    }

    /** 404: the endpoint exists, but not for the kind of base this server was started on. */
    private ServeException notServed(String endpoint, String kind, String instead, String needed) {
        return new ServeException(404, "invalid_request_error", "endpoint_not_served", "This server serves "
                + kind + " ('" + store.served().baseId() + "'), which answers " + instead + "; /v1/" + endpoint
                + " needs a server started on " + needed);
    }

    private void createTenant(Context ctx, String admin) throws IOException {
        String tenant = Names.require("tenant", text(body(ctx), "tenant"));
        json(ctx, 200, JSON.createObjectNode().put("tenant", tenant).put("key", keys.createTenantKey(tenant)));
    }

    /**
     * Installs from {@code {"path": DIR}} (a directory the server can read) or from the adapter's files uploaded
     * as {@code multipart/form-data}, which are staged in the state directory and then take the very same checked
     * install; the staged copy is removed either way.
     */
    private void putAdapter(Context ctx, String admin) throws IOException {
        String tenant = Names.require("tenant", ctx.pathParam("tenant"));
        String name = Names.require("adapter", ctx.pathParam("name"));
        AdapterStore.Entry entry;
        if (ctx.isMultipartFormData()) {
            Path staged = AdapterUpload.stage(ctx, store.stateDir(), limits.maxUploadBytes());
            try {
                entry = store.put(tenant, name, staged);
            } finally {
                AdapterStore.deleteTree(staged);
            }
        } else {
            entry = store.put(tenant, name, Path.of(text(body(ctx), "path")));
        }
        ObjectNode out = JSON.createObjectNode().put("tenant", entry.tenant()).put("name", entry.name())
                .put("added", entry.added());
        if (!entry.labels().isEmpty()) { // a decoder's adapters have no classes
            entry.labels().forEach(out.putArray("labels")::add);
        }
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
        return store.forTenant(tenant, model);
    }

    private <O> List<O> await(CompletableFuture<List<O>> future, String model) throws Exception {
        return RequestBatcher.await(future, limits.timeoutMillis(), model);
    }

    /** The JSON body, within the size limit; 413 or a 400 naming where the JSON broke. */
    private JsonNode body(Context ctx) {
        return HttpJson.body(ctx, limits.maxBodyBytes());
    }

    private static String text(JsonNode body, String field) {
        return HttpJson.text(body, field);
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
        HttpJson.send(ctx, status, body);
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
        if (completions != null) {
            completions.close();
        } else {
            classifyBatcher.close();
            embedBatcher.close();
        }
        store.served().close();
    }

    @Override
    public void close() {
        stop(10_000);
    }
}
