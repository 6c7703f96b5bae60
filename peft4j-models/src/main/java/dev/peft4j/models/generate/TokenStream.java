package dev.peft4j.models.generate;

/**
 * Receives generated text as it becomes final, so that a caller can show it while the model is still running.
 *
 * <p>The generator calls {@link #onText} only with text that will not change any more: whole characters (never half
 * of a multi-byte character, see {@link IncrementalDecoder}) and never the start of a stop string that might still
 * complete (see {@link StopStrings}). Concatenating every piece of a row gives exactly that row's final output.
 * Then it calls {@link #onFinish} once per row. Calls arrive on the generating thread, in order.
 */
@FunctionalInterface
public interface TokenStream {

    /** Ignores everything; for callers that only want the final result. */
    TokenStream NONE = (row, newText) -> { };

    /**
     * New output of one sequence.
     *
     * @param row the sequence's index in the batch
     * @param newText the text that follows what this row received so far; never empty
     */
    void onText(int row, String newText);

    /**
     * A sequence has finished; no more text follows for this row.
     *
     * @param row the sequence's index in the batch
     * @param reason why it stopped
     */
    default void onFinish(int row, FinishReason reason) {
    }
}
