package dev.peft4j.train.lm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Packs tokenised documents into fixed-length training windows for a causal language model, GPT style: the
 * documents (each already starting with BOS) are concatenated in the given order, each followed by EOS, into one
 * token stream, which is cut into windows of {@code length + 1} tokens starting every {@code length} tokens. A
 * window's first {@code length} tokens are the inputs and its last {@code length} the targets (the inputs shifted by
 * one), so consecutive windows share one token and every stream token after the first is a target exactly once.
 * The tail that does not fill a whole window is dropped. Windows may span document boundaries: the model learns
 * to start afresh after EOS and BOS rather than being fed one document per row with padding.
 *
 * <p>In the packed stream the BOS of every document but the first is a target (it follows the previous EOS). Its
 * prediction is nearly free and says nothing about the text, so an evaluation comparable with
 * {@code NgramBaselines} (which predicts every token of a document after its BOS, EOS included) should leave
 * targets equal to BOS out of its loss; {@link #targetIsBos} marks them.
 */
public final class TokenWindows {

    private TokenWindows() {
    }

    /**
     * The windows of {@code length + 1} tokens over the documents' stream, in stream order.
     *
     * @param documents token ids of each document, BOS first and without EOS
     * @param eosId appended after every document
     * @param length input positions per window (the model's context length)
     */
    public static List<int[]> pack(List<int[]> documents, int eosId, int length) {
        if (length < 1) {
            throw new IllegalArgumentException("A window needs at least one input position, found length " + length);
        }
        int[] stream = stream(documents, eosId);
        int count = windowCount(stream.length, length);
        List<int[]> windows = new ArrayList<>(count);
        for (int w = 0; w < count; w++) {
            int start = w * length;
            windows.add(Arrays.copyOfRange(stream, start, start + length + 1));
        }
        return windows;
    }

    /**
     * The concatenated stream: every document followed by {@code eosId}.
     *
     * @throws IllegalArgumentException if a document is empty (it would lack its BOS) or the stream would not fit
     *     an {@code int[]}
     */
    public static int[] stream(List<int[]> documents, int eosId) {
        long total = 0;
        for (int i = 0; i < documents.size(); i++) {
            int[] document = documents.get(i);
            if (document == null || document.length == 0) {
                throw new IllegalArgumentException("Document " + i + " of " + documents.size() + " has no tokens; "
                        + "every document must start with its BOS id (encode with BOS added)");
            }
            total += document.length + 1L;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("The packed stream would hold " + total + " tokens, more than one "
                    + "int[] can; pack the documents in several groups");
        }
        int[] stream = new int[(int) total];
        int at = 0;
        for (int[] document : documents) {
            System.arraycopy(document, 0, stream, at, document.length);
            at += document.length;
            stream[at++] = eosId;
        }
        return stream;
    }

    /** The number of windows {@link #pack} returns for a stream of {@code streamTokens} tokens. */
    public static int windowCount(long streamTokens, int length) {
        return streamTokens <= length ? 0 : (int) ((streamTokens - 1) / length);
    }

    /** The model inputs of a window: its first {@code window.length - 1} tokens. */
    public static int[] inputs(int[] window) {
        requireWindow(window);
        return Arrays.copyOfRange(window, 0, window.length - 1);
    }

    /** The targets of a window: its last {@code window.length - 1} tokens, the inputs shifted by one. */
    public static int[] targets(int[] window) {
        requireWindow(window);
        return Arrays.copyOfRange(window, 1, window.length);
    }

    /** For each target position of the window, whether the target is {@code bosId} (see the class comment). */
    public static boolean[] targetIsBos(int[] window, int bosId) {
        requireWindow(window);
        boolean[] out = new boolean[window.length - 1];
        for (int i = 1; i < window.length; i++) {
            out[i - 1] = window[i] == bosId;
        }
        return out;
    }

    private static void requireWindow(int[] window) {
        if (window.length < 2) {
            throw new IllegalArgumentException("A window holds length + 1 >= 2 tokens, found " + window.length);
        }
    }
}
