package dev.peft4j.train.data;

/**
 * The three parts of a data set: fit on {@code train}, choose hyper-parameters and stop early on
 * {@code validation}, report once on {@code test}. All three share the same label names.
 */
public record Split(TextDataset train, TextDataset validation, TextDataset test) {

    public Split {
        if (train == null || validation == null || test == null) {
            throw new IllegalArgumentException("Split needs train, validation and test data sets (use an empty "
                    + "TextDataset for a missing part), got train=" + train + ", validation=" + validation
                    + ", test=" + test);
        }
        if (!train.labelNames().equals(validation.labelNames()) || !train.labelNames().equals(test.labelNames())) {
            throw new IllegalArgumentException("Split parts must share label names, found train "
                    + train.labelNames() + ", validation " + validation.labelNames() + ", test " + test.labelNames());
        }
    }

    @Override
    public String toString() {
        return "Split[train=" + train.size() + ", validation=" + validation.size() + ", test=" + test.size()
                + ", labels=" + train.labelNames() + "]";
    }
}
