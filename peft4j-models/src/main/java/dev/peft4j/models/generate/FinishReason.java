package dev.peft4j.models.generate;

/**
 * Why a sequence stopped growing. The values map onto OpenAI's {@code finish_reason} ({@link #apiValue()}), which
 * folds end-of-sequence and stop strings into one "stop"; here they stay apart because a caller may want to know
 * whether the model ended on its own or was cut.
 */
public enum FinishReason {
    /** The sequence reached {@link GenerationConfig#maxNewTokens()}. */
    LENGTH("length"),
    /** The model emitted an end-of-sequence token (only when {@link GenerationConfig#stopAtEos()}). */
    EOS("stop"),
    /** One of {@link GenerationConfig#stopStrings()} appeared in the output; it was cut off. */
    STOP_STRING("stop");

    private final String apiValue;

    FinishReason(String apiValue) {
        this.apiValue = apiValue;
    }

    /** The OpenAI-style {@code finish_reason}: {@code "length"} or {@code "stop"}. */
    public String apiValue() {
        return apiValue;
    }
}
