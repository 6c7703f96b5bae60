package dev.peft4j.serve;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Gathers requests from many callers into one forward: one worker thread takes queued requests until
 * {@code maxBatchRows} rows are gathered or {@code maxWaitMillis} have passed since the first, runs the batch
 * function once over all their rows, and hands each request its own rows back. The queue is bounded so that
 * overload is refused at once ({@link #submit} answers 429) instead of growing latency without limit.
 *
 * @param <I> a row going in
 * @param <O> a row's result; a null result means that row could not be served (its adapter went away)
 */
public final class RequestBatcher<I, O> implements AutoCloseable {

    /** The forward over a batch of rows: one result per row, in order. */
    @FunctionalInterface
    public interface BatchFunction<I, O> {
        List<O> run(List<I> rows);
    }

    private record Request<I, O>(List<I> rows, CompletableFuture<List<O>> future) {
    }

    private final BlockingQueue<Request<I, O>> queue;
    private final BatchFunction<I, O> function;
    private final int maxBatchRows;
    private final long maxWaitMillis;
    private final IntConsumer batchSizes;
    private final Thread worker;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param batchSizes told the row count of every batch run (for the metrics)
     */
    public RequestBatcher(String name, int capacity, int maxBatchRows, long maxWaitMillis,
            BatchFunction<I, O> function, IntConsumer batchSizes) {
        if (capacity < 1 || maxBatchRows < 1 || maxWaitMillis < 0) {
            throw new IllegalArgumentException("Expected capacity >= 1, maxBatchRows >= 1 and maxWaitMillis >= 0, "
                    + "found " + capacity + ", " + maxBatchRows + ", " + maxWaitMillis);
        }
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.function = function;
        this.maxBatchRows = maxBatchRows;
        this.maxWaitMillis = maxWaitMillis;
        this.batchSizes = batchSizes;
        this.worker = new Thread(this::work, "peft4j-batcher-" + name);
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /**
     * Queues {@code rows} as one request; the future completes with their results. A full queue (or a closed
     * batcher) is refused at once with a 429 (503 when closed).
     */
    public CompletableFuture<List<O>> submit(List<I> rows) {
        if (closed) {
            throw new ServeException(503, "server_error", "shutting_down", "The server is shutting down; retry "
                    + "against another instance");
        }
        Request<I, O> request = new Request<>(List.copyOf(rows), new CompletableFuture<>());
        if (!queue.offer(request)) {
            throw new ServeException(429, "rate_limit_error", "queue_full", "Too many requests are waiting ("
                    + queue.size() + " queued, the limit); retry after a second");
        }
        request.future().whenComplete((r, e) -> {
            if (request.future().isCancelled()) {
                queue.remove(request); // timed out while queued: do not run it
            }
        });
        return request.future();
    }

    /** Requests waiting in the queue (not those being run). */
    public int queued() {
        return queue.size();
    }

    /** Requests the worker has taken and not yet completed. */
    public int inFlight() {
        return inFlight.get();
    }

    private void work() {
        while (!closed || !queue.isEmpty()) {
            List<Request<I, O>> batch = new ArrayList<>();
            try {
                Request<I, O> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                inFlight.incrementAndGet();
                int rows = first.rows().size();
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
                while (rows < maxBatchRows) {
                    Request<I, O> next = queue.peek();
                    if (next != null && rows + next.rows().size() > maxBatchRows) {
                        break; // it goes first into the next batch
                    }
                    long left = deadline - System.nanoTime();
                    next = left <= 0 ? queue.poll() : queue.poll(left, TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                    inFlight.incrementAndGet();
                    rows += next.rows().size();
                }
            } catch (InterruptedException e) {
                if (batch.isEmpty()) {
                    continue; // close() interrupts an idle wait; the loop condition decides
                }
            }
            run(batch);
        }
    }

    private void run(List<Request<I, O>> batch) {
        List<Request<I, O>> live = batch.stream().filter(r -> !r.future().isDone()).toList();
        try {
            if (live.isEmpty()) {
                return;
            }
            List<I> rows = new ArrayList<>();
            live.forEach(r -> rows.addAll(r.rows()));
            batchSizes.accept(rows.size());
            List<O> results = function.run(rows);
            int at = 0;
            for (Request<I, O> request : live) {
                List<O> mine = new ArrayList<>(results.subList(at, at + request.rows().size()));
                at += request.rows().size();
                if (mine.contains(null)) {
                    request.future().completeExceptionally(new RowUnavailableException());
                } else {
                    request.future().complete(mine);
                }
            }
        } catch (RuntimeException | Error e) {
            live.forEach(r -> r.future().completeExceptionally(e));
        } finally {
            inFlight.addAndGet(-batch.size());
        }
    }

    /**
     * The rows of {@code future} as a route waits for them: a 504 after {@code timeoutMillis} (the request is
     * cancelled, so a queued one never runs), the missing-model 404 for {@code model} when its adapter went away
     * while it waited, and any other failure of the batch as thrown.
     */
    public static <O> List<O> await(CompletableFuture<List<O>> future, long timeoutMillis, String model)
            throws Exception {
        try {
            return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw timeout(timeoutMillis);
        } catch (ExecutionException e) {
            throw failure(e.getCause(), model);
        }
    }

    /** The 504 of a request that waited longer than {@code timeoutMillis}. */
    static ServeException timeout(long timeoutMillis) {
        return new ServeException(504, "server_error", "timeout", "The request waited longer than " + timeoutMillis
                + " ms for the model; retry, or send fewer texts");
    }

    /** What a failed batch means for one request: 404 when its adapter went away, else the failure itself. */
    static Exception failure(Throwable cause, String model) {
        if (cause instanceof RowUnavailableException) {
            return ServeException.modelNotFound(model);
        }
        if (cause instanceof Exception exception) {
            return exception;
        }
        return new IllegalStateException("The batch failed: " + cause, cause); // an Error of the worker's run
    }

    /** A request's adapter was removed while it waited. */
    public static final class RowUnavailableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RowUnavailableException() {
            super("the adapter was removed while the request waited", null, false, false);
        }
    }

    /** Refuses new requests, lets the worker finish the queued ones, and waits up to {@code millis} for it. */
    public void close(long millis) {
        closed = true;
        try {
            worker.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (worker.isAlive()) {
            worker.interrupt();
        }
    }

    @Override
    public void close() {
        close(10_000);
    }
}
