package dev.peft4j.cli;

import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.models.llama.PretrainedLlama;
import dev.peft4j.serve.AdapterStore;
import dev.peft4j.serve.ApiKeys;
import dev.peft4j.serve.ServeLimits;
import dev.peft4j.serve.ServeServer;
import dev.peft4j.serve.ServedDecoder;
import dev.peft4j.serve.ServedEncoder;
import dev.peft4j.serve.ServedModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code peft4j serve}: many tenants' adapters over one base, over HTTP: an encoder (classify, embeddings) or, when
 * {@code --model} is {@value PretrainedLlama#ID} or a Llama directory, a decoder (completions); plus models, admin,
 * health, metrics. The state directory holds the hashed API keys, the adapter registry and the adapters, so a
 * restart brings every acknowledged adapter back. Runs until stopped (SIGINT / SIGTERM drain in-flight requests).
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve tenants' adapters over one base over HTTP. An encoder: POST /v1/classify, "
                + "/v1/embeddings; a decoder (" + PretrainedLlama.ID + " or a Llama directory): POST /v1/completions; "
                + "both: GET /v1/models, /health, /metrics; admin: POST /admin/tenants, PUT|DELETE "
                + "/admin/adapters/T/NAME (a JSON {\"path\": DIR} or the adapter's files as multipart).")
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", defaultValue = "all-minilm-l6-v2",
            description = "The base every adapter must have been trained on: an encoder id, or " + PretrainedLlama.ID
                    + " or a Llama directory for a decoder (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--adapters", required = true,
            description = "State directory: keys.json (hashed API keys), registry.json and the adapters.")
    Path state;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port; 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--labels", defaultValue = "2", description = "Encoder: classes of the adapters' heads (default: ${DEFAULT-VALUE}).")
    int labels;

    @Option(names = "--max-length", defaultValue = "128", description = "Encoder: tokens per text (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--pooling", defaultValue = "MEAN", description = "Encoder: MEAN or CLS, as the adapters were trained (default: ${DEFAULT-VALUE}).")
    SequenceClassifier.Pooling pooling;

    @Option(names = "--max-batch", defaultValue = "64", description = "Rows per batched forward (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--max-wait-ms", defaultValue = "5", description = "Wait for more requests to batch (default: ${DEFAULT-VALUE}).")
    long maxWait;

    @Option(names = "--queue", defaultValue = "256", description = "Queued requests before 429 (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--timeout-ms", defaultValue = "30000", description = "Per-request limit before 504 (default: ${DEFAULT-VALUE}).")
    long timeout;

    @Option(names = "--max-new-tokens", defaultValue = "" + ServeLimits.DEFAULT_MAX_NEW_TOKENS,
            description = "Decoder: the most tokens a completion may ask for in max_tokens (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--max-upload-mb", defaultValue = "256", description = "Largest adapter uploaded as files, in MiB (default: ${DEFAULT-VALUE}).")
    long maxUploadMb;

    @Mixin
    EngineOptions engineOptions;

    @Mixin
    PrecisionOptions precisionOptions;

    @Override
    public Integer call() throws Exception {
        engineOptions.apply();
        precisionOptions.apply(System.out);
        OptionChecks.atLeast("--labels", labels, 2);
        OptionChecks.atLeast("--max-new-tokens", maxNewTokens, 1);
        OptionChecks.atLeast("--max-upload-mb", maxUploadMb, 1);
        Files.createDirectories(state);
        ApiKeys keys = ApiKeys.open(state);
        if (!keys.hasAdmin()) {
            System.out.println("admin key (shown once; only its SHA-256 is stored): " + keys.initAdmin());
        }
        ServeLimits defaults = ServeLimits.defaults();
        ServeLimits limits = new ServeLimits(defaults.maxBodyBytes(), defaults.maxTexts(), defaults.maxTextChars(),
                queue, maxBatch, maxWait, timeout, maxNewTokens, maxUploadMb << 20);
        boolean decoder = PretrainedLlama.isLlama(model);
        ServedModel served = decoder ? ServedDecoder.open(model)
                : ServedEncoder.open(model, ArtifactCache.defaultCache(), maxLength, pooling, labels);
        AdapterStore store = new AdapterStore(state, served);
        for (AdapterStore.Skipped skipped : store.restore()) {
            System.err.println("peft4j serve: skipped " + skipped.tenant() + "/" + skipped.name() + ": "
                    + skipped.reason());
        }
        ServeServer server = new ServeServer(keys, store, limits).start(host, port);
        System.out.println("peft4j serve: " + (decoder ? "decoder " : "encoder ") + model + " on http://" + host + ":"
                + server.port() + " (state " + state + ")");
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(10_000); // drain in-flight requests, then free the model
            stopped.countDown();
        }, "peft4j-serve-shutdown"));
        stopped.await();
        return 0;
    }
}
