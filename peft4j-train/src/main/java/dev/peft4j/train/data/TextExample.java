package dev.peft4j.train.data;

/**
 * One labelled text: a single sentence or document, or a pair ({@code textPair} non-null) for tasks that compare two
 * texts, as BERT's {@code [CLS] a [SEP] b [SEP]} input does.
 *
 * @param text the text, never null
 * @param textPair the second text of a pair, or null for single-text tasks
 * @param label the class index, {@code 0 <= label < labelNames.size()} of the owning {@link TextDataset}
 */
public record TextExample(String text, String textPair, int label) implements java.io.Serializable {

    public TextExample {
        if (text == null) {
            throw new IllegalArgumentException("TextExample text must not be null (label " + label
                    + "); use \"\" for an empty text");
        }
        if (label < 0) {
            throw new IllegalArgumentException("TextExample label must be >= 0, got " + label);
        }
    }

    /** A single-text example. */
    public TextExample(String text, int label) {
        this(text, null, label);
    }
}
