package dev.peft4j.serve;

import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.SequenceClassifier;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The server as {@code peft4j serve} runs it, in a JVM of its own so that a test can kill it with SIGKILL: serves
 * all-MiniLM-L6-v2 (64 tokens, mean pooling, two labels) on 127.0.0.1 from a state directory whose keys the test
 * created. Prints {@value #READY} and the port once it listens.
 *
 * <p>Arguments: state directory, port (0: any), queue capacity, rows per forward, gathering wait in ms, request
 * timeout in ms.
 *
 * <p>Exits when its standard input closes: the parent holds the other end, so a parent that dies without killing
 * it (a crashed or timed-out test JVM) does not leave a server running.
 */
public final class ServeChildMain {

    /** The line's prefix that carries the port. */
    public static final String READY = "peft4j-serve-child listening on port ";
    /** The served base and its tokenizer length, as the adapters were made for. */
    public static final String MODEL_ID = "all-minilm-l6-v2";
    public static final int MAX_LENGTH = 64;
    public static final int LABELS = 2;

    private ServeChildMain() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 6) {
            System.err.println("usage: ServeChildMain STATE PORT QUEUE MAX_BATCH MAX_WAIT_MS TIMEOUT_MS");
            System.exit(2);
        }
        Path state = Path.of(args[0]);
        ServeLimits limits = ServeLimits.defaults().withQueue(Integer.parseInt(args[2]), Integer.parseInt(args[3]))
                .withWait(Long.parseLong(args[4])).withTimeout(Long.parseLong(args[5]));
        Thread watchdog = new Thread(() -> {
            try {
                while (System.in.read() >= 0) {
                    // the parent writes nothing; only the end of the stream matters
                }
            } catch (IOException ignored) {
                // a broken pipe is the parent gone too
            }
            Runtime.getRuntime().halt(3);
        }, "parent-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        ApiKeys keys = ApiKeys.open(state);
        AdapterStore store = new AdapterStore(state, ServedEncoder.open(MODEL_ID, ArtifactCache.defaultCache(),
                MAX_LENGTH, SequenceClassifier.Pooling.MEAN, LABELS));
        for (AdapterStore.Skipped skipped : store.restore()) {
            System.out.println("skipped " + skipped.tenant() + "/" + skipped.name() + ": " + skipped.reason());
        }
        ServeServer server = new ServeServer(keys, store, limits).start("127.0.0.1", Integer.parseInt(args[1]));
        System.out.println(READY + server.port());
        System.out.flush();
    }
}
