package dev.peft4j.models.generate;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;

/**
 * Turns one sequence's growing list of token ids into text increments for streaming.
 *
 * <p>Decoding each new token on its own is wrong for two reasons. A byte-level BPE token (GPT-2, Llama 3) or a
 * byte-fallback token (Llama 2's {@code <0xE2>}) can end in the middle of a UTF-8 character, so alone it decodes to
 * the replacement character U+FFFD, and the next token alone to another one, where together they are one character.
 * And tokenizers decode a list differently from its pieces: SentencePiece decoders strip the leading space of the
 * first token, so {@code "▁world"} alone gives {@code "world"} but after {@code "Hello"} gives {@code " world"}.
 *
 * <p>So this class uses the scheme of transformers' {@code TextStreamer} and text-generation-inference: it keeps two
 * offsets into the ids, {@code prefix <= read}. The text of {@code ids[prefix, read)} was already emitted; on each
 * new token it decodes {@code ids[prefix, end)} and, if that is longer than the emitted prefix text and does not end
 * with U+FFFD (a character still incomplete), emits the part beyond the prefix text and moves the window on
 * ({@code prefix = read, read = end}). Otherwise it emits nothing and waits for more tokens. The prefix tokens give
 * the decode its left context, and the window keeps each decode short (a few tokens) however long the output grows.
 * The first window starts inside the prompt ({@link #CONTEXT_TOKENS} of its last ids) so the first generated token
 * also gets its context.
 *
 * <p>{@link #flush()} emits whatever is still held when the sequence ends, a trailing U+FFFD included (a model can
 * end on an incomplete character, or emit U+FFFD itself). For a tokenizer whose decode of a list is its windows'
 * decodes joined, the increments join to the decode of all generated ids. One instance per sequence; not
 * thread-safe.
 */
public final class IncrementalDecoder {

    /** How many of the prompt's last ids open the first decode window, as text-generation-inference and vLLM use. */
    public static final int CONTEXT_TOKENS = 5;

    private static final char REPLACEMENT = '\uFFFD';

    private final Function<int[], String> decode;
    private final int contextLength;
    private int[] ids;
    private int size;
    private int prefixOffset;
    private int readOffset;
    private String prefixText;

    /** A decoder without left context: the first generated token is decoded as the start of a text. */
    public IncrementalDecoder(Function<int[], String> decode) {
        this(decode, new int[0]);
    }

    /**
     * @param decode the tokenizer's decode of a whole id list (with the special-token handling wanted in the output)
     * @param context the ids before the generated ones (the prompt); only its last {@link #CONTEXT_TOKENS} are used,
     *     as left context, and their text is never emitted
     */
    public IncrementalDecoder(Function<int[], String> decode, int[] context) {
        this.decode = Objects.requireNonNull(decode, "decode");
        Objects.requireNonNull(context, "context");
        this.contextLength = Math.min(CONTEXT_TOKENS, context.length);
        this.ids = Arrays.copyOf(Arrays.copyOfRange(context, context.length - contextLength, context.length),
                Math.max(16, 2 * contextLength));
        this.size = contextLength;
        this.prefixOffset = 0;
        this.readOffset = contextLength;
        this.prefixText = contextLength == 0 ? "" : decode(0, contextLength);
    }

    /** Adds the next generated id and returns the text it completes; empty while a character is incomplete. */
    public String push(int id) {
        if (size == ids.length) {
            ids = Arrays.copyOf(ids, 2 * size);
        }
        ids[size++] = id;
        String text = decode(prefixOffset, size);
        if (text.length() > prefixText.length() && text.charAt(text.length() - 1) != REPLACEMENT) {
            return advance(text);
        }
        return "";
    }

    /** Returns the text still held back (possibly ending in U+FFFD) and empties the window; for the sequence's end. */
    public String flush() {
        if (readOffset == size) {
            return "";
        }
        String text = decode(prefixOffset, size);
        return text.length() > prefixText.length() ? advance(text) : "";
    }

    /** The generated ids pushed so far, without the context. */
    public int[] generated() {
        return Arrays.copyOfRange(ids, contextLength, size);
    }

    private String advance(String text) {
        String increment = text.substring(prefixText.length());
        prefixOffset = readOffset;
        readOffset = size;
        prefixText = decode(prefixOffset, readOffset);
        return increment;
    }

    private String decode(int from, int to) {
        String text = decode.apply(Arrays.copyOfRange(ids, from, to));
        if (text == null) {
            throw new IllegalStateException("decode: expected text for ids " + Arrays.toString(
                    Arrays.copyOfRange(ids, from, to)) + ", found null; the decode function must return a string");
        }
        return text;
    }
}
