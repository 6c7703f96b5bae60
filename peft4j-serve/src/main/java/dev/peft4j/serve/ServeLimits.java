package dev.peft4j.serve;

/**
 * What the server accepts and how it batches: request body size, texts (or prompts) per request and characters per
 * text (each over-limit request gets a 4xx naming the limit), the batcher's queue capacity, rows per forward and
 * gathering wait, how long a request may wait for its result before a 504, the most tokens a completion may ask
 * for ({@code max_tokens}, besides the model's context) and the size of an adapter uploaded as files.
 */
public record ServeLimits(long maxBodyBytes, int maxTexts, int maxTextChars, int queueCapacity, int maxBatchRows,
        long maxWaitMillis, long timeoutMillis, int maxNewTokens, long maxUploadBytes) {

    /** The default {@link #maxNewTokens()}. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 256;
    /** The default {@link #maxUploadBytes()}: 256 MiB, a LoRA of rank 16 on a 7B model's attention fits easily. */
    public static final long DEFAULT_MAX_UPLOAD_BYTES = 256L << 20;

    public ServeLimits {
        if (maxBodyBytes < 1 || maxTexts < 1 || maxTextChars < 1 || queueCapacity < 1 || maxBatchRows < 1
                || maxWaitMillis < 0 || timeoutMillis < 1 || maxNewTokens < 1 || maxUploadBytes < 1) {
            throw new IllegalArgumentException("Every limit must be positive (maxWaitMillis may be 0), found " + this);
        }
    }

    /** The encoder's limits (the form before decoders were served): completions and uploads get the defaults. */
    public ServeLimits(long maxBodyBytes, int maxTexts, int maxTextChars, int queueCapacity, int maxBatchRows,
            long maxWaitMillis, long timeoutMillis) {
        this(maxBodyBytes, maxTexts, maxTextChars, queueCapacity, maxBatchRows, maxWaitMillis, timeoutMillis,
                DEFAULT_MAX_NEW_TOKENS, DEFAULT_MAX_UPLOAD_BYTES);
    }

    /**
     * 1 MiB bodies, 64 texts of up to 8192 characters, 256 queued requests, 64 rows per forward, 5 ms, 30 s,
     * {@value #DEFAULT_MAX_NEW_TOKENS} new tokens, 256 MiB uploads.
     */
    public static ServeLimits defaults() {
        return new ServeLimits(1 << 20, 64, 8192, 256, 64, 5, 30_000);
    }

    public ServeLimits withQueue(int capacity, int batchRows) {
        return new ServeLimits(maxBodyBytes, maxTexts, maxTextChars, capacity, batchRows, maxWaitMillis, timeoutMillis,
                maxNewTokens, maxUploadBytes);
    }

    public ServeLimits withWait(long waitMillis) {
        return new ServeLimits(maxBodyBytes, maxTexts, maxTextChars, queueCapacity, maxBatchRows, waitMillis,
                timeoutMillis, maxNewTokens, maxUploadBytes);
    }

    public ServeLimits withTimeout(long millis) {
        return new ServeLimits(maxBodyBytes, maxTexts, maxTextChars, queueCapacity, maxBatchRows, maxWaitMillis,
                millis, maxNewTokens, maxUploadBytes);
    }

    /** The most tokens one completion may ask for in {@code max_tokens}. */
    public ServeLimits withMaxNewTokens(int tokens) {
        return new ServeLimits(maxBodyBytes, maxTexts, maxTextChars, queueCapacity, maxBatchRows, maxWaitMillis,
                timeoutMillis, tokens, maxUploadBytes);
    }

    /** The most bytes an adapter uploaded as multipart files may have, all files together. */
    public ServeLimits withMaxUploadBytes(long bytes) {
        return new ServeLimits(maxBodyBytes, maxTexts, maxTextChars, queueCapacity, maxBatchRows, maxWaitMillis,
                timeoutMillis, maxNewTokens, bytes);
    }
}
