package dev.peft4j.train.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * An immutable list of {@link TextExample}s with the names of their labels ({@code labelNames().get(label)}).
 */
public final class TextDataset {

    private final List<TextExample> examples;
    private final List<String> labelNames;

    /**
     * @throws IllegalArgumentException if a label is outside {@code [0, labelNames.size())} or a name repeats
     */
    public TextDataset(List<TextExample> examples, List<String> labelNames) {
        this.examples = List.copyOf(examples);
        this.labelNames = List.copyOf(labelNames);
        if (this.labelNames.stream().distinct().count() != this.labelNames.size()) {
            throw new IllegalArgumentException("Label names must be distinct, got " + labelNames);
        }
        for (int i = 0; i < this.examples.size(); i++) {
            int label = this.examples.get(i).label();
            if (label >= this.labelNames.size()) {
                throw new IllegalArgumentException("Example " + i + " has label " + label + " but only "
                        + this.labelNames.size() + " label names are given: " + this.labelNames);
            }
        }
    }

    public List<TextExample> examples() {
        return examples;
    }

    public List<String> labelNames() {
        return labelNames;
    }

    public int size() {
        return examples.size();
    }

    public int numLabels() {
        return labelNames.size();
    }

    public TextExample get(int index) {
        return examples.get(index);
    }

    /** How many examples carry each label: {@code counts[label]}. */
    public int[] labelCounts() {
        int[] counts = new int[labelNames.size()];
        for (TextExample example : examples) {
            counts[example.label()]++;
        }
        return counts;
    }

    /**
     * A deterministic split stratified by label, so that every part keeps the class ratios of the whole.
     *
     * <p>For each label in ascending order, that label's examples (in data set order) are shuffled with one
     * {@code new Random(seed)} shared across labels; of its {@code n} examples the first {@code round(n * train)} go
     * to train, up to {@code round(n * (train + val))} to validation and the rest to test (cumulative rounding, so
     * the three counts always add up to {@code n}). Each part is then shuffled with the same generator so that
     * labels are interleaved. Example: 4,150 ham and 1,896 spam split 0.8/0.1/0.1 give train 3,320 + 1,517 = 4,837,
     * validation 415 + 189 = 604, test 415 + 190 = 605. The same data, fractions and seed always give the same split.
     *
     * @param train fraction for training, in [0, 1]
     * @param val fraction for validation, in [0, 1]
     * @param test fraction for testing, in [0, 1]; the three must add up to 1
     * @throws IllegalArgumentException if a fraction is outside [0, 1] or they do not add up to 1
     */
    public Split split(double train, double val, double test, long seed) {
        for (double fraction : new double[] {train, val, test}) {
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException("Split fractions must be in [0, 1], got train=" + train
                        + ", val=" + val + ", test=" + test);
            }
        }
        if (Math.abs(train + val + test - 1) > 1e-6) {
            throw new IllegalArgumentException("Split fractions must add up to 1, got train=" + train + " + val="
                    + val + " + test=" + test + " = " + (train + val + test) + "; e.g. use 0.8, 0.1, 0.1");
        }
        List<List<TextExample>> byLabel = new ArrayList<>();
        for (int label = 0; label < labelNames.size(); label++) {
            byLabel.add(new ArrayList<>());
        }
        for (TextExample example : examples) {
            byLabel.get(example.label()).add(example);
        }
        Random random = new Random(seed);
        List<TextExample> trainPart = new ArrayList<>();
        List<TextExample> valPart = new ArrayList<>();
        List<TextExample> testPart = new ArrayList<>();
        for (List<TextExample> group : byLabel) {
            Collections.shuffle(group, random);
            int n = group.size();
            int trainEnd = (int) Math.round(n * train);
            int valEnd = Math.max(trainEnd, Math.min(n, (int) Math.round(n * (train + val))));
            trainPart.addAll(group.subList(0, trainEnd));
            valPart.addAll(group.subList(trainEnd, valEnd));
            testPart.addAll(group.subList(valEnd, n));
        }
        Collections.shuffle(trainPart, random);
        Collections.shuffle(valPart, random);
        Collections.shuffle(testPart, random);
        return new Split(withExamples(trainPart), withExamples(valPart), withExamples(testPart));
    }

    /** A data set with the same label names and other examples. */
    public TextDataset withExamples(List<TextExample> other) {
        return new TextDataset(other, labelNames);
    }

    @Override
    public String toString() {
        return "TextDataset[size=" + size() + ", labels=" + labelNames + ", counts=" + Arrays.toString(labelCounts())
                + "]";
    }
}
