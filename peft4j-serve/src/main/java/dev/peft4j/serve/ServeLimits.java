package dev.peft4j.serve;

/**
 * What the server accepts and how it batches: request body size, texts per request and characters per text (each
 * over-limit request gets a 4xx naming the limit), the batcher's queue capacity, rows per forward and gathering
 * wait, and how long a request may wait for its result before a 504.
 */
public record ServeLimits(long maxBodyBytes, int maxTexts, int maxTextChars, int queueCapacity, int maxBatchRows,
        long maxWaitMillis, long timeoutMillis) {

    public ServeLimits {
        if (maxBodyBytes < 1 || maxTexts < 1 || maxTextChars < 1 || queueCapacity < 1 || maxBatchRows < 1
                || maxWaitMillis < 0 || timeoutMillis < 1) {
            throw new IllegalArgumentException("Every limit must be positive (maxWaitMillis may be 0), found " + this);
        }
    }

    /** 1 MiB bodies, 64 texts of up to 8192 characters, 256 queued requests, 64 rows per forward, 5 ms, 30 s. */
    public static ServeLimits defaults() {
        return new ServeLimits(1 << 20, 64, 8192, 256, 64, 5, 30_000);
    }

    public ServeLimits withQueue(int capacity, int batchRows) {
        return new ServeLimits(maxBodyBytes, maxTexts, maxTextChars, capacity, batchRows, maxWaitMillis, timeoutMillis);
    }

    public ServeLimits withWait(long waitMillis) {
        return new ServeLimits(maxBodyBytes, maxTexts, maxTextChars, queueCapacity, maxBatchRows, waitMillis,
                timeoutMillis);
    }

    public ServeLimits withTimeout(long millis) {
        return new ServeLimits(maxBodyBytes, maxTexts, maxTextChars, queueCapacity, maxBatchRows, maxWaitMillis,
                millis);
    }
}
