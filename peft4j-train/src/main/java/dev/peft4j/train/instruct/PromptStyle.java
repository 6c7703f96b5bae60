package dev.peft4j.train.instruct;

/**
 * How {@link AlpacaPrompt} lays out an instruction. Both styles use Alpaca's {@code ### Instruction:},
 * {@code ### Input:} and {@code ### Response:} headers; they differ only in the preamble.
 */
public enum PromptStyle {
    /**
     * Stanford Alpaca's templates word for word: the preamble "Below is an instruction that describes a task..." (one
     * wording with an input, one without), then the headers. Use it to compare with models tuned on Alpaca.
     */
    ALPACA,
    /**
     * The headers only, without the preamble. The preamble is the same 16 words (107 characters) in every example
     * without an input and 24 words (159 characters) with one; a model with a 512-token context pays for each of its
     * tokens in every prompt, and learns the layout from the headers alone.
     */
    ALPACA_SHORT;

    /** The command line's and the experiment configs' spelling: {@code alpaca}, {@code alpaca-short}. */
    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The style spelled {@code id} ({@code alpaca} or {@code alpaca-short}; enum names accepted too). */
    public static PromptStyle parse(String id) {
        for (PromptStyle style : values()) {
            if (style.id().equals(id) || style.name().equals(id)) {
                return style;
            }
        }
        throw new IllegalArgumentException("Unknown prompt style '" + id + "'; expected alpaca (Stanford Alpaca's "
                + "template with its preamble) or alpaca-short (only its ### headers)");
    }
}
