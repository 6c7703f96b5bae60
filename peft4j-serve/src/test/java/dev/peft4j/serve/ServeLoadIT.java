package dev.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.apps.text.TrainedClassifier;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.train.data.TextExample;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server under load and faults, over HTTP on 127.0.0.1, on real weights: all-MiniLM-L6-v2 in a child JVM
 * ({@link ServeChildMain}, engine threads set as {@code peft4j serve --threads N} sets them), 12 tenants with 32
 * adapters (LoLDU, which a mixed batch gathers into one op per layer, and LoRA, which runs per adapter group) whose
 * names repeat across tenants, and six more installed during the load. Five phases of seeded random calls (tenant,
 * adapter, 1-3 texts, classify or embed):
 * <ol>
 * <li>one client;</li>
 * <li>eight clients while the admin deletes adapters and installs new ones;</li>
 * <li>the same with 64 clients;</li>
 * <li>eight clients while the admin installs adapters and then replaces them back to back; the server is killed
 * with SIGKILL in the middle of a PUT and started again on the same state (with a queue of 4);</li>
 * <li>64 clients on that queue of 4, which refuses with 429 + Retry-After.</li>
 * </ol>
 * Every 200 must equal the single-request result of that tenant's adapter for that text, within a tolerance (and
 * so never another adapter's: they are built to differ by far more). A 404 fails unless the adapter may have been
 * gone at some instant of the call: a call that overlaps a DELETE may see 404 before the DELETE's own 200 arrives,
 * but one that began after the PUT's 200 and ended before the next DELETE was sent may not; symmetrically a 200
 * fails when the call began after a DELETE's 200 (or before the PUT was sent) and ended before the next PUT was
 * sent. No other status, and no lost connection except across the restart, where calls are retried until the new
 * server answers. After the restart every adapter acknowledged before the kill answers bit for bit as before. The
 * figures go to stdout and {@code target/serve-load.json}.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ServeLoadIT {

    private static final long SEED = 15_003;
    private static final int TENANTS = 12;
    /**
     * The server's engine threads ({@code peft4j serve --threads}; {@code -Dpeft4j.load.threads=2} for two). One by
     * default: the server shares two cores with this JVM's 64 clients (and here with other jobs), and with two OpenMP
     * threads every op waits for both to be scheduled. Measured in-process at load average ~5: a mixed 64-row batch
     * (thousands of small ops, e.g. each LoLDU adapter's scale vector in each of 36 layers) took 7-18 s with two
     * threads and 0.7-1.6 s with one, and the 64-client phase hit the 30 s request timeout. At load ~2.4 the two ran
     * this test alike (two threads: 34 rows/s at 64 clients against 29, 21 rows/s at one client against 35).
     */
    private static final int ENGINE_THREADS = Integer.getInteger("peft4j.load.threads", 1);
    private static final String BASE = ServeServer.BASE_MODEL;
    /** Of different lengths (one past the 64-token limit), so batches pad and truncate. */
    private static final List<String> TEXTS = List.of(
            "Congratulations! You won a FREE prize, click here now to claim your cash",
            "Hi Bob, the meeting moved to 3pm, see you then",
            "thanks",
            "URGENT: your account is suspended, verify your password at this link within 24 hours or lose access",
            "Can you send me the slides from yesterday's talk? I want to reread the part on batching before Friday",
            "Cheap meds, no prescription needed, discreet worldwide shipping, order today and save eighty percent on "
                    + "every order, limited time offer for our valued customers only, reply STOP to unsubscribe from "
                    + "this list, terms and conditions apply, see our website for the full details of this promotion");
    /** The texts embedding calls use (a subset: each needs a reference per adapter). */
    private static final List<Integer> EMBED_TEXTS = List.of(1, 5);
    /** Another tenant's adapter name: must be 404 at all times, under any load. */
    private static final List<String> PROBES = List.of("t05/lora", "t00/n1", "t02/a2");

    /**
     * Served probabilities against the single-request result of the same server. Not bit for bit: a call batched
     * with others runs its rows in a forward of another shape, and the head (one GEMM per adapter's head, over that
     * adapter's rows of the batch) takes the engine's one-row kernel for a single request and its many-row kernel
     * otherwise, which sum the 384 products in another order: a logit moves by an ulp or so (~2e-7 at |logit| ~ 2),
     * a probability by at most a quarter of that. Measured here: at most 3.4e-8 over thousands of batched rows, with
     * one engine thread and with two. The bound is 30x that, for CPUs whose kernels also block the encoder's GEMMs by
     * batch shape, and 1/100 of the closest two adapters' references ({@link #SEPARATION}, asserted).
     */
    private static final double PROB_TOLERANCE = 1e-6;
    /**
     * Embeddings (mean-pooled hidden states, entries of order 0.1-1): measured bit for bit equal to the single
     * request's (the encoder's kernels compute each row alike whatever the batch, and padding adds exact zeros to the
     * attention and pooling sums). The bound allows float32 reordering over the six layers (~1e-6 relative) on other
     * CPUs and thread counts, at 1/1000 of the closest two adapters' embeddings.
     */
    private static final double EMBED_TOLERANCE = 1e-5;
    /** Every two adapters' references differ by at least this many tolerances, so a mix-up cannot pass. */
    private static final double SEPARATION = 100;

    /**
     * The CLI's defaults (queue 256, 64 rows per forward, 5 ms gathering wait) but a 120 s request timeout instead of
     * 30 s: this test is about correct answers under load, and on a shared 2-core machine a forward of 64 rows padded
     * to 64 tokens takes seconds, so the 64-client phases' p99 came within 3x of 30 s; a busier machine would turn
     * slowness into 504s.
     */
    private static final ServeLimits SERVE = ServeLimits.defaults().withTimeout(120_000);
    private static final ServeLimits SMALL_QUEUE = SERVE.withQueue(4, 64);
    private static final long PHASE_SECONDS = 150;

    /** An adapter: its owner, name, files, method and seed. */
    private record Adapter(String tenant, String name, Path dir, boolean lora, long seed) {
        String id() {
            return tenant + "/" + name;
        }
    }

    /** One admin step of a phase. */
    private record Step(String method, String id) {
    }

    /** The restart's instants: the kill was sent, the new server listens. */
    private record Restart(long killedAt, long readyAt) {
    }

    /** One phase's figures. */
    private record Figures(String phase, int clients, String queue, int requests, int answered, int rows, double seconds,
            double p50, double p99, double p99EndToEnd, int tooMany, int restartCalls, int droppedAttempts,
            int cutByKill, int expected404, int windowed, int mixups, double maxProbDiff, double maxEmbedDiff,
            int embedRows, int failures) {

        double requestsPerSecond() {
            return answered / seconds;
        }

        double rowsPerSecond() {
            return rows / seconds;
        }
    }

    @TempDir
    Path dir;

    private final List<ChildServer> children = new ArrayList<>();
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    private final Map<String, String> tenantKeys = new TreeMap<>();
    private final Map<String, double[][]> probRefs = new HashMap<>();
    private final Map<String, float[][]> embedRefs = new HashMap<>();
    /** The adapters whose last acknowledged admin request installed them. */
    private final Set<String> installed = new TreeSet<>();
    private final List<Figures> figures = new ArrayList<>();
    private final Map<String, Object> notes = new LinkedHashMap<>();
    private volatile int port;
    private LoadClient client;
    private String adminKey;

    @AfterEach
    void stopEverything() {
        if (client != null) {
            client.close(); // the load threads give up at their next attempt
        }
        children.forEach(ChildServer::close);
    }

    @Test
    void manyTenantsUnderLoadWithAdminChurnAndAKilledServer() throws Exception {
        long testStart = System.nanoTime();
        ArtifactCache cache = ArtifactCache.defaultCache();
        population();
        MiniLmAdapters.write(cache, specs());
        notes.put("adapters_written_s", seconds(testStart));

        Path state = dir.resolve("state");
        ApiKeys keys = ApiKeys.open(state);
        adminKey = keys.initAdmin();
        for (int k = 0; k < TENANTS; k++) {
            tenantKeys.put(tenant(k), keys.createTenantKey(tenant(k)));
        }
        long started = System.nanoTime();
        ChildServer first = startChild(state, 0, SERVE);
        notes.put("child_start_s", seconds(started));
        client = new LoadClient(() -> port, TEXTS);
        long installing = System.nanoTime();
        for (Adapter adapter : adapters.values()) {
            LoadClient.Admin put = put(adapter.id());
            assertEquals(200, put.status(), put.body());
            installed.add(adapter.id());
        }
        notes.put("install_s_per_adapter", seconds(installing) / adapters.size());
        long referencing = System.nanoTime();
        references();
        notes.put("references_s", seconds(referencing));
        referencesAreTheInProcessResults(cache, List.of("t01/a2", "t00/lora"));
        adaptersAreFarApart();
        // the adapters the phases install: referenced above, then removed
        for (String id : List.of("t02/n0", "t09/n1", "t04/n2", "t11/n3", "t06/n4", "t08/n5")) {
            assertEquals(200, delete(id).status());
            installed.remove(id);
        }

        phase("1 client", 1, 60, SERVE, List.of());
        phase("8 clients, admin", 8, 200, SERVE, List.of(new Step("DELETE", "t03/a0"), new Step("PUT", "t02/n0"),
                new Step("DELETE", "t07/a1"), new Step("PUT", "t09/n1")));
        phase("64 clients, admin", 64, 300, SERVE, List.of(new Step("DELETE", "t02/n0"), new Step("PUT", "t04/n2"),
                new Step("DELETE", "t09/a2"), new Step("PUT", "t11/n3")));
        restartPhase(first, state);
        long checking = System.nanoTime();
        everyAcknowledgedAdapterAnswersAsBefore();
        notes.put("after_restart_check_s", seconds(checking));
        Figures overload = phase("64 clients, queue 4", 64, 300, SMALL_QUEUE, List.of());
        assertTrue(overload.tooMany() > 0, "64 clients on a queue of 4 were never refused with 429");

        notes.put("test_s", seconds(testStart));
        report();
    }

    private static String tenant(int k) {
        return String.format(Locale.ROOT, "t%02d", k);
    }

    /**
     * 12 tenants with 2 or 3 LoLDU adapters a0.. each (the same names in every tenant, so a mix-up by name alone
     * would show), LoRA adapters for two of them, and six adapters that exist for one tenant each and are installed
     * during the load (n2 a LoRA one).
     */
    private void population() {
        for (int k = 0; k < TENANTS; k++) {
            for (int j = 0; j < 2 + k % 2; j++) {
                add(tenant(k), "a" + j, false);
            }
        }
        add("t00", "lora", true);
        add("t01", "lora", true);
        add("t02", "n0", false);
        add("t09", "n1", false);
        add("t04", "n2", true);
        add("t11", "n3", false);
        add("t06", "n4", false);
        add("t08", "n5", false);
    }

    private void add(String tenant, String name, boolean lora) {
        Adapter adapter = new Adapter(tenant, name, dir.resolve("src").resolve(tenant).resolve(name), lora,
                SEED + 7919L * adapters.size());
        adapters.put(adapter.id(), adapter);
    }

    /**
     * The spam biases: evenly spaced over [-2.5, 2.5] (probabilities 0.08-0.92, where softmax is not flat) in a seeded
     * order, so every two adapters' logits differ by about the spacing (~0.14) or more.
     */
    private List<MiniLmAdapters.Spec> specs() {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < adapters.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(SEED));
        List<MiniLmAdapters.Spec> specs = new ArrayList<>();
        int i = 0;
        for (Adapter a : adapters.values()) {
            float bias = -2.5f + 5f * order.get(i++) / (adapters.size() - 1);
            specs.add(new MiniLmAdapters.Spec(a.dir(), a.lora(), a.seed(), bias));
        }
        return specs;
    }

    private ChildServer startChild(Path state, int wantedPort, ServeLimits limits) throws Exception {
        ChildServer child;
        try {
            child = ChildServer.start(state, wantedPort, limits, ENGINE_THREADS, logFile(), 180);
        } catch (IllegalStateException portTaken) {
            if (wantedPort == 0) {
                throw portTaken;
            }
            // someone took the old port while the server was down: any port, the clients read it at every attempt
            child = ChildServer.start(state, 0, limits, ENGINE_THREADS, logFile(), 180);
        }
        children.add(child);
        port = child.port();
        return child;
    }

    private Path logFile() {
        return targetDir().resolve("serve-load-child-" + (children.size() + 1) + ".log");
    }

    private static Path targetDir() {
        return Path.of(System.getProperty("basedir", ".")).resolve("target");
    }

    private LoadClient.Admin put(String id) {
        try {
            return client.admin("PUT", "/admin/adapters/" + id, adminKey,
                    Http.JSON.writeValueAsString(Map.of("path", adapters.get(id).dir().toString())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private LoadClient.Admin delete(String id) {
        return client.admin("DELETE", "/admin/adapters/" + id, adminKey, null);
    }

    private static long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(PHASE_SECONDS);
    }

    /** One call alone, nothing else in flight; must answer 200. */
    private JsonNode single(String tenant, String model, boolean embed, int text) {
        LoadClient.Outcome outcome = client.execute(new LoadClient.Call(-1, tenant, tenantKeys.get(tenant), model,
                embed, List.of(text)), deadline());
        assertEquals(200, outcome.status, tenant + " -> " + model + " text " + text + ": " + outcome.body);
        assertEquals(0, outcome.tooMany + outcome.dropped.size(), "a single call was refused or dropped");
        return tree(outcome.body).get("data").get(0);
    }

    /** The single-request results: every adapter on every text (classify) and on the embedding texts. */
    private void references() {
        for (Adapter a : adapters.values()) {
            double[][] probabilities = new double[TEXTS.size()][];
            for (int t = 0; t < TEXTS.size(); t++) {
                probabilities[t] = probabilities(single(a.tenant(), a.name(), false, t));
            }
            probRefs.put(a.id(), probabilities);
            embedRefs.put(a.id(), embeddings(a.tenant(), a.name()));
        }
        embedRefs.put(BASE, embeddings("t00", BASE));
    }

    private float[][] embeddings(String tenant, String model) {
        float[][] vectors = new float[EMBED_TEXTS.size()][];
        for (int e = 0; e < EMBED_TEXTS.size(); e++) {
            vectors[e] = embedding(single(tenant, model, true, EMBED_TEXTS.get(e)));
        }
        return vectors;
    }

    private static JsonNode tree(String body) {
        try {
            return Http.JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + body, e);
        }
    }

    private static double[] probabilities(JsonNode row) {
        JsonNode p = row.get("probabilities");
        double[] out = new double[MiniLmAdapters.LABELS.size()];
        for (int j = 0; j < out.length; j++) {
            out[j] = p.get(MiniLmAdapters.LABELS.get(j)).asDouble();
        }
        return out;
    }

    private static float[] embedding(JsonNode row) {
        JsonNode e = row.get("embedding");
        float[] out = new float[e.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) e.get(i).asDouble(); // written from a float: the round trip is exact
        }
        return out;
    }

    /**
     * The served single request against the library in this JVM (the adapter directory opened as
     * {@code peft4j predict} opens it): the references are the adapters' results, not merely the server's, so a server
     * that consistently applied the wrong adapter could not pass the load checks. One LoLDU and one LoRA adapter.
     */
    private void referencesAreTheInProcessResults(ArtifactCache cache, List<String> ids) throws IOException {
        double max = 0;
        for (String id : ids) {
            try (TrainedClassifier local = TrainedClassifier.open(adapters.get(id).dir(), cache);
                    NDManager manager = NDManager.newBaseManager()) {
                for (int t = 0; t < TEXTS.size(); t++) {
                    float[] p = local.textClassifier().logits(List.of(new TextExample(TEXTS.get(t), null, 0)),
                            manager, false).softmax(-1).toFloatArray();
                    for (int j = 0; j < p.length; j++) {
                        max = Math.max(max, Math.abs(p[j] - probRefs.get(id)[t][j]));
                    }
                }
            }
        }
        notes.put("in_process_vs_served_max_abs", max);
        // the same single-text forward in two JVMs; the in-process softmax is float32 (a few 1e-8 of rounding)
        assertTrue(max <= PROB_TOLERANCE, "served single requests differ from in-process by " + max);
    }

    /** Every two adapters (and the base, for embeddings) differ on every text by far more than the tolerance. */
    private void adaptersAreFarApart() {
        List<String> ids = new ArrayList<>(probRefs.keySet());
        Collections.sort(ids);
        double minProb = Double.POSITIVE_INFINITY;
        String closest = null;
        for (int i = 0; i < ids.size(); i++) {
            for (int j = i + 1; j < ids.size(); j++) {
                for (int t = 0; t < TEXTS.size(); t++) {
                    double d = maxAbs(probRefs.get(ids.get(i))[t], probRefs.get(ids.get(j))[t]);
                    if (d < minProb) {
                        minProb = d;
                        closest = ids.get(i) + " and " + ids.get(j) + " on text " + t;
                    }
                }
            }
        }
        List<String> embedIds = new ArrayList<>(embedRefs.keySet());
        Collections.sort(embedIds);
        double minEmbed = Double.POSITIVE_INFINITY;
        String closestEmbed = null;
        for (int i = 0; i < embedIds.size(); i++) {
            for (int j = i + 1; j < embedIds.size(); j++) {
                for (int e = 0; e < EMBED_TEXTS.size(); e++) {
                    double d = maxAbs(embedRefs.get(embedIds.get(i))[e], embedRefs.get(embedIds.get(j))[e]);
                    if (d < minEmbed) {
                        minEmbed = d;
                        closestEmbed = embedIds.get(i) + " and " + embedIds.get(j) + " on text " + EMBED_TEXTS.get(e);
                    }
                }
            }
        }
        notes.put("min_separation_probability", minProb);
        notes.put("min_separation_embedding", minEmbed);
        assertTrue(minProb >= SEPARATION * PROB_TOLERANCE, "adapters " + closest + " give probabilities only "
                + minProb + " apart");
        assertTrue(minEmbed >= SEPARATION * EMBED_TOLERANCE, "adapters " + closestEmbed + " give embeddings only "
                + minEmbed + " apart");
    }

    /**
     * The calls of phase {@code phase}: seeded, so every run sends the same ones (which thread sends which, and when,
     * is up to the scheduler). Over the adapters installed at the phase's start and those its admin steps touch,
     * the latter 4x as often so that enough calls fall before and after each step, and the probes (another tenant's
     * adapter names); 15% embed, a fifth of those on the base.
     */
    private List<LoadClient.Call> plan(int phase, int count, Set<String> touched) {
        List<String> pool = new ArrayList<>(PROBES);
        for (String id : adapters.keySet()) {
            for (int w = touched.contains(id) ? 4 : installed.contains(id) ? 1 : 0; w > 0; w--) {
                pool.add(id);
            }
        }
        Random random = new Random(SEED * 31 + phase);
        List<LoadClient.Call> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String[] id = pool.get(random.nextInt(pool.size())).split("/");
            boolean embed = random.nextInt(100) < 15;
            String model = embed && random.nextInt(5) == 0 ? BASE : id[1];
            List<Integer> texts = new ArrayList<>();
            for (int n = 1 + random.nextInt(embed ? 2 : 3); n > 0; n--) {
                texts.add(embed ? EMBED_TEXTS.get(random.nextInt(EMBED_TEXTS.size())) : random.nextInt(TEXTS.size()));
            }
            calls.add(new LoadClient.Call(i, id[0], tenantKeys.get(id[0]), model, embed, texts));
        }
        return calls;
    }

    /** A phase on the running server, the admin's steps taken one by one once a quarter of the calls are answered. */
    private Figures phase(String name, int clients, int count, ServeLimits limits, List<Step> steps)
            throws Exception {
        Set<String> touched = new TreeSet<>();
        steps.forEach(s -> touched.add(s.id()));
        Set<String> before = Set.copyOf(installed);
        LoadClient.Run run = client.start(plan(figures.size(), count, touched), clients, deadline());
        List<LoadClient.Admin> events = new ArrayList<>();
        if (!steps.isEmpty()) {
            await(() -> run.completed() >= count / 4, "a quarter of the calls are answered");
            for (Step step : steps) {
                LoadClient.Admin event = step.method().equals("PUT") ? put(step.id()) : delete(step.id());
                assertEquals(200, event.status(), step + ": " + event.body());
                events.add(event);
            }
            assertTrue(run.completed() < count, "the admin steps ended after the load: nothing was checked after them");
        }
        List<LoadClient.Outcome> outcomes = run.await();
        Figures f = record(judge(name, clients, String.valueOf(limits.queueCapacity()), run, outcomes, before,
                events, null));
        apply(events);
        return f;
    }

    /**
     * Eight clients; the admin deletes one adapter, installs two, then replaces them in turn (each PUT holds the
     * model's write lock for its strict load, so 300 ms apart); once 40% of the calls are answered and both PUTs were
     * acknowledged, the server is killed with SIGKILL while a replacement PUT is in flight, and a new one starts on
     * the same state and port, with a queue of 4. The calls in flight and those sent meanwhile are retried until it
     * answers.
     */
    private void restartPhase(ChildServer first, Path state) throws Exception {
        int count = 200;
        List<String> newOnes = List.of("t06/n4", "t08/n5");
        Set<String> touched = new TreeSet<>(newOnes);
        touched.add("t05/a0");
        Set<String> before = Set.copyOf(installed);
        LoadClient.Run run = client.start(plan(figures.size(), count, touched), 8, deadline());
        List<LoadClient.Admin> events = Collections.synchronizedList(new ArrayList<>());
        AtomicLong putInFlightSince = new AtomicLong();
        AtomicBoolean killed = new AtomicBoolean();
        Thread admin = new Thread(() -> {
            events.add(delete("t05/a0"));
            for (int i = 0; !killed.get(); i++) {
                putInFlightSince.set(System.nanoTime());
                LoadClient.Admin put = put(newOnes.get(i % 2));
                putInFlightSince.set(0);
                events.add(put);
                if (!put.acknowledged()) {
                    return;
                }
                sleepMillis(300);
            }
        }, "admin");
        admin.setDaemon(true);
        await(() -> run.completed() >= count / 10, "a tenth of the calls are answered");
        admin.start();
        await(() -> run.completed() >= count * 2 / 5 && acknowledged(events) >= 3,
                "40% of the calls are answered and the delete and both installs acknowledged");
        long into = 50 + new Random(SEED).nextInt(200); // ms into the PUT: between its copy, its load and its swap
        await(() -> putInFlightSince.get() != 0 && System.nanoTime() - putInFlightSince.get() > into * 1_000_000,
                "a PUT has been in flight for " + into + " ms");
        long killedAt = System.nanoTime();
        first.kill();
        killed.set(true);
        notes.put("kill_after_calls", run.completed());
        notes.put("killed_ms_into_put", into);
        admin.join(TimeUnit.SECONDS.toMillis(30));
        startChild(state, first.port(), SMALL_QUEUE);
        long readyAt = System.nanoTime();
        notes.put("downtime_s", (readyAt - killedAt) / 1e9);
        List<LoadClient.Outcome> outcomes = run.await();
        List<LoadClient.Admin> all = List.copyOf(events);
        assertEquals(200, all.get(0).status(), all.get(0).body());
        LoadClient.Admin last = all.get(all.size() - 1);
        notes.put("admin_put_cut_by_kill", last.status() == 0 && last.sent() < killedAt);
        for (LoadClient.Admin event : all.subList(0, all.size() - 1)) {
            assertEquals(200, event.status(), event.path() + ": " + event.body());
        }
        Figures f = record(judge("8 clients, kill -9, restart", 8, SERVE.queueCapacity() + ">"
                + SMALL_QUEUE.queueCapacity(), run, outcomes, before, all, new Restart(killedAt, readyAt)));
        apply(all);
        assertTrue(f.restartCalls() > 0, "no call was in flight or sent while the server was down");
    }

    /** What the acknowledged admin requests changed; an unanswered one may only have been a replacement. */
    private void apply(List<LoadClient.Admin> events) {
        for (LoadClient.Admin e : events) {
            String id = e.path().substring("/admin/adapters/".length());
            boolean isPut = e.method().equals("PUT");
            if (e.acknowledged()) {
                if (isPut) {
                    installed.add(id);
                } else {
                    installed.remove(id);
                }
            } else {
                assertTrue(isPut && installed.contains(id), e + " left " + id + " neither installed nor gone");
            }
        }
    }

    private static int acknowledged(List<LoadClient.Admin> events) {
        synchronized (events) {
            return (int) events.stream().filter(LoadClient.Admin::acknowledged).count();
        }
    }

    /**
     * After the restart, with nothing else in flight: every adapter acknowledged before the kill (and not deleted)
     * answers every text bit for bit as its single request did on the first server (the same files, the same
     * single-row forward, the same engine threads), each deleted one is 404, every tenant lists exactly its own.
     */
    private void everyAcknowledgedAdapterAnswersAsBefore() {
        for (String id : installed) {
            Adapter a = adapters.get(id);
            for (int t = 0; t < TEXTS.size(); t++) {
                double[] p = probabilities(single(a.tenant(), a.name(), false, t));
                assertTrue(Arrays.equals(probRefs.get(id)[t], p), id + " on text " + t + " answers "
                        + Arrays.toString(p) + " after the restart, " + Arrays.toString(probRefs.get(id)[t])
                        + " before");
            }
            float[] e = embedding(single(a.tenant(), a.name(), true, EMBED_TEXTS.get(0)));
            assertTrue(Arrays.equals(embedRefs.get(id)[0], e), id + "'s embedding changed across the restart");
        }
        for (String id : adapters.keySet()) {
            if (!installed.contains(id)) {
                String[] parts = id.split("/");
                LoadClient.Outcome gone = client.execute(new LoadClient.Call(-1, parts[0], tenantKeys.get(parts[0]),
                        parts[1], false, List.of(0)), deadline());
                assertEquals(404, gone.status, id + " was deleted before the kill but answers: " + gone.body);
            }
        }
        for (String tenant : tenantKeys.keySet()) {
            LoadClient.Admin models = client.admin("GET", "/v1/models", tenantKeys.get(tenant), null);
            assertEquals(200, models.status(), models.body());
            List<String> listed = new ArrayList<>();
            tree(models.body()).get("data").forEach(m -> listed.add(m.get("id").asText()));
            List<String> expected = new ArrayList<>(List.of(BASE));
            installed.stream().filter(id -> id.startsWith(tenant + "/")).map(id -> id.substring(tenant.length() + 1))
                    .forEach(expected::add);
            assertEquals(expected, listed, tenant + "'s models after the restart");
        }
        notes.put("restored_adapters", installed.size());
    }

    /**
     * An adapter's certain state over a phase, from the admin requests' send and answer times: installed from a PUT's
     * answer (or the phase's start) until the next DELETE is sent, absent from a DELETE's answer (or the start)
     * until the next PUT is sent; in between (a request in flight, or one cut off) it is uncertain. A replacing PUT
     * changes nothing: the old copy serves until the new one has taken its place.
     */
    private static final class Timeline {
        enum State { PRESENT, ABSENT, UNCERTAIN }

        private final List<long[]> present = new ArrayList<>();
        private final List<long[]> absent = new ArrayList<>();

        Timeline(boolean installedAtStart, List<LoadClient.Admin> events) {
            Boolean now = installedAtStart; // null: uncertain
            long since = Long.MIN_VALUE;
            for (LoadClient.Admin e : events) {
                boolean isPut = e.method().equals("PUT");
                if (now != null && now == isPut) {
                    continue; // a replacement (or a delete of what is gone): no change
                }
                if (now != null) {
                    (now ? present : absent).add(new long[] {since, e.sent()});
                }
                now = e.acknowledged() ? isPut : null;
                since = e.received();
            }
            if (now != null) {
                (now ? present : absent).add(new long[] {since, Long.MAX_VALUE});
            }
        }

        /** The state throughout [{@code from}, {@code to}]. */
        State during(long from, long to) {
            for (long[] p : present) {
                if (p[0] <= from && to <= p[1]) {
                    return State.PRESENT;
                }
            }
            for (long[] a : absent) {
                if (a[0] <= from && to <= a[1]) {
                    return State.ABSENT;
                }
            }
            return State.UNCERTAIN;
        }
    }

    /**
     * Checks every outcome of a phase and sums up its figures; fails with the first problems found. A 200's values
     * must be its adapter's references; a 404 is allowed unless the adapter was certainly installed throughout the
     * call (so a call that overlaps a DELETE may see 404 before the DELETE's own answer arrives); no other answer and
     * no connection failure outside the restart window (the kill to the new server's first line).
     */
    private Figures judge(String phase, int clients, String queue, LoadClient.Run run, List<LoadClient.Outcome> outcomes,
            Set<String> installedAtStart, List<LoadClient.Admin> events, Restart restart) {
        Map<String, List<LoadClient.Admin>> byAdapter = new HashMap<>();
        for (LoadClient.Admin e : events) {
            byAdapter.computeIfAbsent(e.path().substring("/admin/adapters/".length()), k -> new ArrayList<>()).add(e);
        }
        Map<String, Timeline> timelines = new HashMap<>();
        List<String> problems = new ArrayList<>();
        List<Double> latencies = new ArrayList<>();
        List<Double> endToEnd = new ArrayList<>();
        int answered = 0;
        int rows = 0;
        int tooMany = 0;
        int restartCalls = 0;
        int dropped = 0;
        int cutByKill = 0;
        int expected404 = 0;
        int windowed = 0;
        int mixups = 0;
        int servedAfterPut = 0;
        int goneAfterDelete = 0;
        int servedByRestarted = 0;
        int embedRows = 0;
        double maxProb = 0;
        double maxEmbed = 0;
        for (LoadClient.Outcome o : outcomes) {
            LoadClient.Call c = o.call;
            String what = "call " + c.index() + " (" + c.tenant() + " -> " + c.model() + ", "
                    + (c.embed() ? "embed " : "classify ") + c.texts() + ")";
            if (o.gaveUp != null) {
                problems.add(what + " gave up: " + o.gaveUp);
                continue;
            }
            boolean acrossRestart = false;
            for (LoadClient.Dropped d : o.dropped) {
                if (restart != null && d.failed() >= restart.killedAt() && d.sent() <= restart.readyAt()) {
                    dropped++;
                    acrossRestart = true;
                    cutByKill += d.sent() < restart.killedAt() ? 1 : 0;
                } else {
                    problems.add(what + " lost its connection outside the restart: " + d.error());
                }
            }
            restartCalls += acrossRestart ? 1 : 0;
            tooMany += o.tooMany;
            if (o.withoutRetryAfter > 0) {
                problems.add(what + " got " + o.withoutRetryAfter + " 429s without a Retry-After in seconds");
            }
            answered++;
            latencies.add(o.latencyMillis());
            endToEnd.add(o.endToEndMillis());
            String id = c.model().equals(BASE) ? BASE : c.tenant() + "/" + c.model();
            Timeline.State state = BASE.equals(id) ? Timeline.State.PRESENT
                    : timelines.computeIfAbsent(id, k -> new Timeline(installedAtStart.contains(k),
                            byAdapter.getOrDefault(k, List.of()))).during(o.sent, o.received);
            boolean touched = byAdapter.containsKey(id);
            if (o.status == 404) {
                String code = tree(o.body).path("error").path("code").asText();
                if (state == Timeline.State.PRESENT || !code.equals("model_not_found")) {
                    problems.add(what + " got 404 while its adapter was installed throughout: " + o.body);
                } else if (state == Timeline.State.ABSENT) {
                    expected404++;
                    goneAfterDelete += touched && installedAtStart.contains(id) ? 1 : 0;
                } else {
                    windowed++;
                }
                continue;
            }
            if (o.status != 200) {
                problems.add(what + " got " + o.status + ": " + o.body);
                continue;
            }
            if (state == Timeline.State.ABSENT) {
                problems.add(what + " was served while its adapter was not installed: " + o.body);
                continue;
            }
            windowed += state == Timeline.State.UNCERTAIN ? 1 : 0;
            servedAfterPut += touched && !installedAtStart.contains(id) && state == Timeline.State.PRESENT ? 1 : 0;
            servedByRestarted += restart != null && o.sent > restart.readyAt() ? 1 : 0;
            JsonNode data = tree(o.body).get("data");
            if (data.size() != c.texts().size()) {
                problems.add(what + " got " + data.size() + " rows for " + c.texts().size() + " texts");
                continue;
            }
            for (int i = 0; i < c.texts().size(); i++) {
                int text = c.texts().get(i);
                double d;
                String nearest;
                if (c.embed()) {
                    float[] got = embedding(data.get(i));
                    int e = EMBED_TEXTS.indexOf(text);
                    d = maxAbs(embedRefs.get(id)[e], got);
                    maxEmbed = Math.max(maxEmbed, d);
                    nearest = d <= EMBED_TOLERANCE ? id : nearest(embedRefs, r -> maxAbs(r[e], got));
                } else {
                    double[] got = probabilities(data.get(i));
                    d = maxAbs(probRefs.get(id)[text], got);
                    maxProb = Math.max(maxProb, d);
                    nearest = d <= PROB_TOLERANCE ? id : nearest(probRefs, r -> maxAbs(r[text], got));
                }
                if (!nearest.equals(id)) {
                    boolean mixup = d > (c.embed() ? EMBED_TOLERANCE : PROB_TOLERANCE);
                    mixups += mixup ? 1 : 0;
                    problems.add(what + " row " + i + " is " + d + " from its reference, nearest to " + nearest
                            + "'s");
                }
            }
            rows += c.texts().size();
            embedRows += c.embed() ? c.texts().size() : 0;
        }
        if (!byAdapter.isEmpty()) {
            // the timing checks above were exercised: calls fell after the DELETEs' and PUTs' answers
            assertTrue(goneAfterDelete > 0, phase + ": no call was sent after a DELETE was acknowledged");
            assertTrue(servedAfterPut > 0, phase + ": no call to a new adapter after its PUT");
        }
        if (restart != null) {
            assertTrue(servedByRestarted > 0, phase + ": nothing was served by the restarted server");
        }
        Collections.sort(latencies);
        Collections.sort(endToEnd);
        Figures f = new Figures(phase, clients, queue, outcomes.size(), answered, rows, run.seconds(),
                percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(endToEnd, 0.99), tooMany,
                restartCalls, dropped, cutByKill, expected404, windowed, mixups, maxProb, maxEmbed, embedRows,
                problems.size());
        if (!problems.isEmpty()) {
            figures.add(f);
            report();
            fail(phase + ": " + problems.size() + " problems, first ones:\n"
                    + String.join("\n", problems.subList(0, Math.min(20, problems.size()))));
        }
        return f;
    }

    private Figures record(Figures f) {
        figures.add(f);
        System.out.println(row(f));
        return f;
    }

    private interface Distance<R> {
        double to(R reference);
    }

    private static <R> String nearest(Map<String, R> references, Distance<R> distance) {
        String best = null;
        double min = Double.POSITIVE_INFINITY;
        for (Map.Entry<String, R> e : references.entrySet()) {
            double d = distance.to(e.getValue());
            if (d < min) {
                min = d;
                best = e.getKey();
            }
        }
        return best;
    }

    private static double maxAbs(double[] a, double[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    private static double maxAbs(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** Nearest rank. */
    private static double percentile(List<Double> sorted, double q) {
        return sorted.isEmpty() ? 0 : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void sleepMillis(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(PHASE_SECONDS);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
            Thread.sleep(2);
        }
    }

    private static final String HEADER = String.format(Locale.ROOT,
            "%-28s %7s %5s %5s %5s %6s %7s %7s %7s %8s %8s %5s %5s %6s %7s %4s %4s %6s %8s %8s",
            "phase", "clients", "queue", "calls", "rows", "s", "calls/s", "rows/s", "p50 ms", "p99 ms", "p99 e2e",
            "429", "404", "window", "retried", "cut", "fail", "mix-up", "max|dp|", "max|de|");
    private static final String LEGEND = "calls: logical requests (1-3 texts); rows: texts served with 200; s: first "
            + "call sent to last answered; p50/p99: latency of the answered attempt; p99 e2e: from the first attempt, "
            + "429 waits and the restart included; 429: refusals, each retried after its Retry-After; 404: answered "
            + "while the adapter was certainly not installed (deleted, not yet added, another tenant's name); window: "
            + "answers of calls that overlapped an admin request on their adapter (either answer allowed); retried: "
            + "calls retried across the restart; cut: attempts in flight at the kill; fail: anything else; mix-up: "
            + "rows nearer another adapter's reference; max|dp|, max|de|: largest |served - single request| of the "
            + "probabilities, the embeddings.";

    private static String row(Figures f) {
        return String.format(Locale.ROOT,
                "%-28s %7d %5s %5d %5d %6.1f %7.1f %7.1f %7.1f %8.1f %8.1f %5d %5d %6d %7d %4d %4d %6d %8.1e %8.1e",
                f.phase(), f.clients(), f.queue(), f.requests(), f.rows(), f.seconds(), f.requestsPerSecond(),
                f.rowsPerSecond(), f.p50(), f.p99(), f.p99EndToEnd(), f.tooMany(), f.expected404(), f.windowed(),
                f.restartCalls(), f.cutByKill(), f.failures(), f.mixups(), f.maxProbDiff(), f.maxEmbedDiff());
    }

    /** The table to stdout and everything to target/serve-load.json. */
    private void report() {
        StringBuilder table = new StringBuilder("\nServeLoadIT: all-MiniLM-L6-v2, " + adapters.size() + " adapters of "
                + TENANTS + " tenants; the server's JVM with engine threads " + ENGINE_THREADS + ", on "
                + Runtime.getRuntime().availableProcessors() + " cores\n").append(HEADER).append('\n');
        figures.forEach(f -> table.append(row(f)).append('\n'));
        table.append(LEGEND).append("\ntolerance |dp| ").append(PROB_TOLERANCE).append(", |de| ")
                .append(EMBED_TOLERANCE).append("; ").append(notes);
        System.out.println(table);
        ObjectNode json = Http.JSON.createObjectNode();
        json.put("model", MiniLmAdapters.MODEL.id()).put("adapters", adapters.size()).put("tenants", TENANTS)
                .put("engine_threads", ENGINE_THREADS).put("cores", Runtime.getRuntime().availableProcessors())
                .put("prob_tolerance", PROB_TOLERANCE).put("embed_tolerance", EMBED_TOLERANCE);
        ArrayNode phases = json.putArray("phases");
        for (Figures f : figures) {
            ObjectNode p = Http.JSON.valueToTree(f);
            p.put("requestsPerSecond", f.requestsPerSecond()).put("rowsPerSecond", f.rowsPerSecond());
            phases.add(p);
        }
        json.set("notes", Http.JSON.valueToTree(notes));
        json.put("table", table.toString());
        try {
            Files.createDirectories(targetDir());
            Http.JSON.writer().with(SerializationFeature.INDENT_OUTPUT).writeValue(
                    targetDir().resolve("serve-load.json").toFile(), json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
