package dev.peft4j.models.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.models.nn.KeyValueCache;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Autoregressive generation for a batch of prompts of different lengths at once. Prompts are left-padded to the
 * longest, with an attention mask, so every row's next token sits in the last column (the padding is never attended
 * to and each row's positions count from its own first token). Each step chooses one token per row
 * ({@link TokenSampler}: greedy, temperature, top-k, top-p), streams the text that became final
 * ({@link IncrementalDecoder}, {@link StopStrings}) and stops a row at end-of-sequence, a stop string or
 * {@code maxNewTokens}; the batch ends when every row has. Rows may carry their own configs ({@link RowConfig}: a
 * server batching different callers' requests), each then sampled, stopped and cut at its own length; since the
 * batch is one left-padded tensor, the longest prompt plus the largest {@code maxNewTokens} must fit the model.
 *
 * <p>With the key/value cache ({@code useCache}, the default) the prompt is read once and every further step feeds
 * the model one token per row; without it every step re-reads the whole sequence, the reference the cached path is
 * tested against and benchmarked with. Rows that finished early keep feeding the pad token, which nothing reads.
 */
public final class Generator {

    /**
     * @param prompts token ids per row (BOS included where the model uses one), each non-empty
     * @param config every row's generation config, unless {@code rowConfigs} gives the row its own
     * @param eosIds tokens that end a row when its config's {@link GenerationConfig#stopAtEos()}
     * @param padId fills the left padding and the rows already finished
     * @param decode the tokenizer's decode of an id list (special tokens skipped), for text and stop strings
     * @param selection the adapter per row, or null for the model's active adapters
     * @param useCache keep a key/value cache (false: re-read the whole sequence every step)
     * @param rowConfigs null (every row runs {@code config} and seeds its draws with its batch index), or one
     *     {@link RowConfig} per row: a batch gathered from the requests of different callers (a server), where each
     *     row keeps its own request's length, sampling, stop strings and seed
     */
    public record Request(List<int[]> prompts, GenerationConfig config, Set<Integer> eosIds, int padId,
            Function<int[], String> decode, AdapterSelection selection, boolean useCache, List<RowConfig> rowConfigs) {

        public Request {
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(decode, "decode");
            eosIds = Set.copyOf(eosIds);
            prompts = List.copyOf(prompts);
            if (prompts.isEmpty()) {
                throw new IllegalArgumentException("Generation needs at least one prompt, found none");
            }
            for (int i = 0; i < prompts.size(); i++) {
                if (prompts.get(i).length == 0) {
                    throw new IllegalArgumentException("Prompt " + i + " has no tokens; encode it with the BOS "
                            + "token, or give it some text");
                }
            }
            if (rowConfigs != null) {
                rowConfigs = List.copyOf(rowConfigs);
                if (rowConfigs.size() != prompts.size()) {
                    throw new IllegalArgumentException("Expected one row config per prompt (" + prompts.size()
                            + "), found " + rowConfigs.size() + "; pass null to run every row with the same config");
                }
            }
        }

        /** Every row under {@code config}, its draws seeded by its index in the batch. */
        public Request(List<int[]> prompts, GenerationConfig config, Set<Integer> eosIds, int padId,
                Function<int[], String> decode, AdapterSelection selection, boolean useCache) {
            this(prompts, config, eosIds, padId, decode, selection, useCache, null);
        }

        /** Row {@code row}'s config and seed row. */
        RowConfig row(int row) {
            return rowConfigs == null ? new RowConfig(config, row) : rowConfigs.get(row);
        }
    }

    /**
     * One row's own settings in a batch of different requests.
     *
     * @param config the row's length, sampling, stop strings, seed and end-of-sequence handling
     * @param seedRow the row index its random draws are seeded with ({@link TokenSampler}): its index within its own
     *     request, so that a sampled row draws the same tokens whichever batch it was gathered into
     */
    public record RowConfig(GenerationConfig config, int seedRow) {

        public RowConfig {
            Objects.requireNonNull(config, "config");
            if (seedRow < 0) {
                throw new IllegalArgumentException("seedRow: expected an index >= 0, found " + seedRow);
            }
        }
    }

    /** One row's output: the generated ids (an end-of-sequence token included), the text and why it ended. */
    public record Result(int[] tokens, String text, FinishReason reason) {
    }

    private final CausalLanguageModel model;

    public Generator(CausalLanguageModel model) {
        this.model = Objects.requireNonNull(model, "model");
    }

    /** Generates for every prompt of {@code request}; {@code stream} receives each row's text as it becomes final. */
    public List<Result> generate(Request request, TokenStream stream, NDManager parent) {
        List<int[]> prompts = request.prompts();
        int rows = prompts.size();
        int longest = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        int maxNew = 0; // the longest any row may run: the batch runs until every row has finished
        for (int r = 0; r < rows; r++) {
            maxNew = Math.max(maxNew, request.row(r).config().maxNewTokens());
        }
        if (longest + maxNew > model.maxPositions()) {
            throw new IllegalArgumentException("The longest prompt (" + longest + " tokens) plus max_new_tokens ("
                    + maxNew + ") exceeds the model's " + model.maxPositions() + " positions; shorten the prompt "
                    + "or lower max_new_tokens to " + Math.max(0, model.maxPositions() - longest));
        }
        int vocab = model.vocabSize();
        for (int[] prompt : prompts) {
            for (int id : prompt) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("Prompt token " + id + " is outside the vocabulary [0, "
                            + vocab + ")");
                }
            }
        }
        List<RowState> states = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            states.add(new RowState(request.decode(), prompts.get(r), request.row(r)));
        }
        // the sequence so far, left-padded: column j of row r; mask 1 on real tokens
        int width = longest + maxNew;
        long[] tokens = new long[rows * width];
        long[] mask = new long[rows * width];
        for (int r = 0; r < rows; r++) {
            int[] prompt = prompts.get(r);
            int offset = longest - prompt.length;
            for (int j = 0; j < longest; j++) {
                tokens[r * width + j] = j < offset ? request.padId() : prompt[j - offset];
                mask[r * width + j] = j < offset ? 0 : 1;
            }
        }
        try (KeyValueCache cache = request.useCache() ? model.newCache(parent) : null) {
            int length = longest;
            int fed = 0; // columns already in the cache
            for (int step = 0; step < maxNew; step++) {
                float[] last; // [rows * vocab]
                try (NDManager stepManager = parent.newSubManager()) {
                    int from = cache == null ? 0 : fed;
                    NDArray ids = stepManager.create(columns(tokens, rows, width, from, length),
                            new Shape(rows, length - from));
                    NDArray attention = stepManager.create(columns(mask, rows, width, 0, length),
                            new Shape(rows, length));
                    last = model.nextTokenLogits(ids, attention, cache, request.selection()).toFloatArray();
                    fed = length;
                }
                boolean running = false;
                for (int r = 0; r < rows; r++) {
                    RowState state = states.get(r);
                    int next = request.padId();
                    if (!state.finished()) {
                        next = state.sample(last, r * vocab, vocab);
                        state.accept(r, next, request.eosIds(), stream, step + 1);
                    }
                    tokens[r * width + length] = next;
                    mask[r * width + length] = 1;
                    running |= !state.finished();
                }
                length++;
                if (!running) {
                    break;
                }
            }
        }
        List<Result> results = new ArrayList<>();
        for (RowState state : states) {
            results.add(state.result());
        }
        return results;
    }

    /** Columns {@code [from, to)} of a row-major [rows, width] matrix. */
    private static long[] columns(long[] matrix, int rows, int width, int from, int to) {
        long[] out = new long[rows * (to - from)];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(matrix, r * width + from, out, r * (to - from), to - from);
        }
        return out;
    }

    /**
     * One row's generated ids, streamed text and finish, under its own config; its own sampler, so that its draws
     * come from its own seed and seed row whatever the other rows are.
     */
    private static final class RowState {

        private final IncrementalDecoder decoder;
        private final StopStrings.Tracker text;
        private final GenerationConfig config;
        private final TokenSampler sampler;
        private final int seedRow;
        private final List<Integer> generated = new ArrayList<>();
        private FinishReason reason;

        RowState(Function<int[], String> decode, int[] prompt, RowConfig row) {
            this.decoder = new IncrementalDecoder(decode, prompt);
            this.config = row.config();
            this.text = StopStrings.of(config).tracker();
            this.sampler = new TokenSampler(config);
            this.seedRow = row.seedRow();
        }

        int sample(float[] logits, int offset, int vocab) {
            return sampler.next(seedRow, logits, offset, vocab);
        }

        boolean finished() {
            return reason != null;
        }

        void accept(int row, int token, Set<Integer> eosIds, TokenStream stream, int steps) {
            generated.add(token);
            if (config.stopAtEos() && eosIds.contains(token)) {
                finish(row, FinishReason.EOS, stream);
                return;
            }
            emit(row, text.append(decoder.push(token)), stream);
            if (text.stopped()) {
                reason = FinishReason.STOP_STRING;
                stream.onFinish(row, reason);
            } else if (steps == config.maxNewTokens()) {
                finish(row, FinishReason.LENGTH, stream);
            }
        }

        private void finish(int row, FinishReason why, TokenStream stream) {
            String rest = text.append(decoder.flush());
            if (text.stopped()) {
                emit(row, rest, stream);
                why = FinishReason.STOP_STRING;
            } else {
                emit(row, rest + text.finish(), stream);
            }
            reason = why;
            stream.onFinish(row, why);
        }

        private static void emit(int row, String piece, TokenStream stream) {
            if (!piece.isEmpty()) {
                stream.onText(row, piece);
            }
        }

        Result result() {
            return new Result(generated.stream().mapToInt(Integer::intValue).toArray(), text.output(), reason);
        }
    }
}
