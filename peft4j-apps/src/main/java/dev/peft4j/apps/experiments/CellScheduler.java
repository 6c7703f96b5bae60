package dev.peft4j.apps.experiments;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs cells on a fixed number of worker threads, where a finished cell may release more cells (a grid's last point
 * releases the seeds at its chosen rate). Released cells run before those queued earlier, so that a row's results
 * are complete as soon as its own grid is, and no worker waits for a phase to end while cells are left: with two
 * workers, a phase of an odd number of cells used to leave one core idle for a whole cell. A failed cell fails the
 * run after every other cell has run; the cells it would have released do not run.
 *
 * <p>{@link java.util.concurrent.ExecutorService#invokeAll} and friends take a fixed list of tasks; the queue here
 * grows while it runs, hence this small loop over a {@link CompletionService}.
 */
final class CellScheduler<C> {

    /** Runs and records one cell (on a worker thread). */
    interface Work<C> {
        void run(C cell) throws Exception;
    }

    /** The cells that {@code finished} releases (on the scheduling thread, one call at a time). */
    interface Release<C> {
        List<C> after(C finished) throws IOException;
    }

    private final int workers;

    CellScheduler(int workers) {
        this.workers = workers;
    }

    void runAll(List<C> initial, Work<C> work, Release<C> release) throws IOException {
        Deque<C> queue = new ArrayDeque<>(initial);
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        CompletionService<C> completed = new ExecutorCompletionService<>(pool);
        IOException failure = null;
        int running = 0;
        try {
            while (!queue.isEmpty() || running > 0) {
                while (running < workers && !queue.isEmpty()) {
                    C cell = queue.pollFirst();
                    completed.submit(() -> {
                        work.run(cell);
                        return cell;
                    });
                    running++;
                }
                Future<C> next = completed.take();
                running--;
                try {
                    List<C> released = release.after(next.get());
                    for (int i = released.size() - 1; i >= 0; i--) {
                        queue.addFirst(released.get(i));
                    }
                } catch (ExecutionException e) {
                    failure = accumulate(failure, e.getCause());
                } catch (IOException e) {
                    failure = accumulate(failure, e);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while waiting for the experiment's cells", e);
        } finally {
            pool.shutdownNow();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static IOException accumulate(IOException failure, Throwable cause) {
        if (failure == null) {
            return cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        }
        failure.addSuppressed(cause);
        return failure;
    }
}
