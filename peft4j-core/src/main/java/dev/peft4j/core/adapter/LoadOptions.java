package dev.peft4j.core.adapter;

/**
 * How strictly {@link PeftModel#load(AdaptableModel, java.nio.file.Path, boolean, LoadOptions)} treats a saved
 * adapter. The default, {@link #strict()}, refuses a base whose weights differ from the ones the adapter was saved
 * on (the SHA-256 fingerprint of each adapted module), in compact and portable mode alike.
 *
 * @param allowOtherBase load onto a base whose fingerprints differ anyway, with one warning naming the modules:
 *     a portable adapter then adds its saved change to weights it was not trained on, and a compact one recomputes
 *     its factors from them, so its change differs too
 */
public record LoadOptions(boolean allowOtherBase) {

    /** Every check on: a base fingerprint mismatch is an error. */
    public static LoadOptions strict() {
        return new LoadOptions(false);
    }

    /** These options with {@code allowOtherBase} set as given. */
    public LoadOptions withAllowOtherBase(boolean allow) {
        return new LoadOptions(allow);
    }
}
