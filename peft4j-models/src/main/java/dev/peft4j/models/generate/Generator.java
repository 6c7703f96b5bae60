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
 * {@code maxNewTokens}; the batch ends when every row has.
 *
 * <p>With the key/value cache ({@code useCache}, the default) the prompt is read once and every further step feeds
 * the model one token per row; without it every step re-reads the whole sequence, the reference the cached path is
 * tested against and benchmarked with. Rows that finished early keep feeding the pad token, which nothing reads.
 */
public final class Generator {

    /**
     * @param prompts token ids per row (BOS included where the model uses one), each non-empty
     * @param eosIds tokens that end a row when {@link GenerationConfig#stopAtEos()}
     * @param padId fills the left padding and the rows already finished
     * @param decode the tokenizer's decode of an id list (special tokens skipped), for text and stop strings
     * @param selection the adapter per row, or null for the model's active adapters
     * @param useCache keep a key/value cache (false: re-read the whole sequence every step)
     */
    public record Request(List<int[]> prompts, GenerationConfig config, Set<Integer> eosIds, int padId,
            Function<int[], String> decode, AdapterSelection selection, boolean useCache) {

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
        int maxNew = request.config().maxNewTokens();
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
        TokenSampler sampler = new TokenSampler(request.config());
        StopStrings stops = StopStrings.of(request.config());
        List<RowState> states = new ArrayList<>();
        for (int[] prompt : prompts) {
            states.add(new RowState(request.decode(), prompt, stops));
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
                        next = sampler.next(r, last, r * vocab, vocab);
                        state.accept(r, next, request, stream, step + 1 == maxNew);
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

    /** One row's generated ids, streamed text and finish. */
    private static final class RowState {

        private final IncrementalDecoder decoder;
        private final StopStrings.Tracker text;
        private final List<Integer> generated = new ArrayList<>();
        private FinishReason reason;

        RowState(Function<int[], String> decode, int[] prompt, StopStrings stops) {
            this.decoder = new IncrementalDecoder(decode, prompt);
            this.text = stops.tracker();
        }

        boolean finished() {
            return reason != null;
        }

        void accept(int row, int token, Request request, TokenStream stream, boolean lastStep) {
            generated.add(token);
            if (request.config().stopAtEos() && request.eosIds().contains(token)) {
                finish(row, FinishReason.EOS, stream);
                return;
            }
            emit(row, text.append(decoder.push(token)), stream);
            if (text.stopped()) {
                reason = FinishReason.STOP_STRING;
                stream.onFinish(row, reason);
            } else if (lastStep) {
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
