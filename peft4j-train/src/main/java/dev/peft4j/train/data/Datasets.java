package dev.peft4j.train.data;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * The built-in text tasks by name, as the CLI's {@code --task} spells them. Each returns a deterministic split for
 * a seed, with these sizes:
 *
 * <ul>
 *   <li>{@code spam}: SpamAssassin, 6,046 e-mails split 80/10/10 stratified: train 4,837 (1,517 spam), validation
 *       604 (189 spam), test 605 (190 spam).
 *   <li>{@code reuters-grain}: Reuters-21578 ModApte "grain" vs rest; official test 604 (57 positive); validation is
 *       10% of the official train, stratified: train 1,399 (93), validation 155 (10).
 *   <li>{@code reuters-corn}: the same stories, "corn" vs rest; test 604 (24 positive); train 1,399 (41),
 *       validation 155 (4).
 * </ul>
 */
public final class Datasets {

    /** The accepted names. */
    public static final List<String> NAMES = List.of("spam", "reuters-grain", "reuters-corn");
    static final double REUTERS_VALIDATION = 0.1;

    private Datasets() {
    }

    /**
     * The split of the built-in task {@code name}, fetching its data into {@code cache} on first use.
     *
     * @throws IllegalArgumentException for an unknown name, listing the accepted ones
     * @throws IOException if the data cannot be fetched or read
     */
    public static Split byName(String name, ArtifactCache cache, long seed) throws IOException {
        String key = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        return switch (key) {
            case "spam" -> SpamAssassin.load(cache).split(0.8, 0.1, 0.1, seed);
            case "reuters-grain" -> Reuters.loadSplit(cache, "grain", REUTERS_VALIDATION, seed);
            case "reuters-corn" -> Reuters.loadSplit(cache, "corn", REUTERS_VALIDATION, seed);
            default -> throw new IllegalArgumentException("Unknown data set '" + name + "'; accepted names are "
                    + NAMES + " (or load your own file with TabularDataset.load)");
        };
    }
}
