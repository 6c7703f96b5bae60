package dev.peft4j.serve;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link ServeChildMain} server in a child JVM on this test's classpath: started with the engine thread settings of
 * {@code peft4j serve --threads N} (and the test-threads profile's OpenMP variables), its output copied to a log
 * file, killed with SIGKILL ({@link Process#destroyForcibly()}) or at {@link #close()}.
 */
final class ChildServer implements AutoCloseable {

    /** The engine's thread properties, as peft4j-cli's EngineOptions sets them. */
    private static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";
    private static final String INTEROP_PROPERTY = "ai.djl.pytorch.num_interop_threads";

    private final Process process;
    private final int port;
    private final Path log;

    private ChildServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts a child serving {@code state} on {@code port} (0: any) and waits up to {@code startSeconds} for it to
     * listen; a child that exits or stays silent is killed and reported with the end of its log.
     */
    static ChildServer start(Path state, int port, ServeLimits limits, int engineThreads, Path log,
            long startSeconds) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        // what the test JVM was told (offline engine, cache location), then the threads as the CLI sets them
        System.getProperties().stringPropertyNames().stream().sorted()
                .filter(k -> k.startsWith("ai.djl.") || k.startsWith("peft4j."))
                .filter(k -> !k.equals(THREADS_PROPERTY) && !k.equals(INTEROP_PROPERTY))
                .forEach(k -> command.add("-D" + k + "=" + System.getProperty(k)));
        command.add("-D" + THREADS_PROPERTY + "=" + engineThreads);
        command.add("-D" + INTEROP_PROPERTY + "=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(ServeChildMain.class.getName());
        command.add(state.toString());
        command.add(String.valueOf(port));
        command.add(String.valueOf(limits.queueCapacity()));
        command.add(String.valueOf(limits.maxBatchRows()));
        command.add(String.valueOf(limits.maxWaitMillis()));
        command.add(String.valueOf(limits.timeoutMillis()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("OMP_NUM_THREADS", String.valueOf(engineThreads));
        env.put("MKL_NUM_THREADS", String.valueOf(engineThreads));
        Files.createDirectories(log.getParent());
        Process process = builder.start();
        CompletableFuture<Integer> ready = new CompletableFuture<>();
        Thread pump = new Thread(() -> pump(process, log, ready), "child-output-" + process.pid());
        pump.setDaemon(true);
        pump.start();
        try {
            return new ChildServer(process, ready.get(startSeconds, TimeUnit.SECONDS), log);
        } catch (TimeoutException | ExecutionException e) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("the child server did not start within " + startSeconds + " s ("
                    + (e instanceof TimeoutException ? "no port printed" : e.getCause().getMessage()) + "); its log "
                    + log + " ends with:\n" + tail(log), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** Copies the child's output to the log and completes {@code ready} with the port it prints. */
    private static void pump(Process process, Path log, CompletableFuture<Integer> ready) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8)); PrintWriter out = new PrintWriter(Files.newBufferedWriter(log,
                        StandardCharsets.UTF_8), true)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.println(line);
                if (line.startsWith(ServeChildMain.READY)) {
                    ready.complete(Integer.parseInt(line.substring(ServeChildMain.READY.length()).trim()));
                }
            }
        } catch (IOException | RuntimeException e) {
            ready.completeExceptionally(e);
        }
        ready.completeExceptionally(new IllegalStateException("the child exited before listening"));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL, as {@code kill -9}: no shutdown hook, no drain; returns once the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("child " + process.pid() + " survived SIGKILL for 30 s");
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
