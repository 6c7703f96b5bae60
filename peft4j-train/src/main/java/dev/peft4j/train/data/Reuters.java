package dev.peft4j.train.data;

import dev.peft4j.hub.ArtifactCache;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Reuters-21578, ModApte split, as one-vs-rest binary tasks "is this newswire story about grain (or corn)?", from
 * the ARFF files that ship in the Debian {@code weka} package ({@code usr/share/doc/weka/examples/}). Both topics
 * use the same 1,554 training and 604 test stories; grain has 103 / 57 positives, corn 45 / 24. Labels are
 * {@code 0 = "other"} and {@code 1 = topic}. The text is the story's title and body with white space collapsed.
 *
 * <p>The official train/test split is kept; {@link #split(double, long)} carves a stratified validation set out of
 * train only, so test numbers stay comparable with published ModApte results.
 */
public final class Reuters {

    /** The Debian package holding the ARFF files. */
    public static final String DEBIAN_PACKAGE = "weka";
    /** Topics with a file pair in the package. */
    public static final List<String> TOPICS = List.of("grain", "corn");
    static final String EXAMPLES_DIR = "usr/share/doc/weka/examples";
    static final int EXPECTED_TRAIN = 1_554;
    static final int EXPECTED_TEST = 604;

    private final String topic;
    private final TextDataset train;
    private final TextDataset test;

    private Reuters(String topic, TextDataset train, TextDataset test) {
        this.topic = topic;
        this.train = train;
        this.test = test;
    }

    /**
     * The official ModApte train (1,554) and test (604) stories for {@code topic}, fetched on first use (6.6 MB).
     *
     * @param topic {@code "grain"} or {@code "corn"}
     * @throws IllegalArgumentException for another topic
     * @throws IOException if the fetch fails or a file is missing or holds an unexpected number of stories
     */
    public static Reuters load(ArtifactCache cache, String topic) throws IOException {
        String key = checkTopic(topic);
        return fromPackage(cache.debianPackage(DEBIAN_PACKAGE), key);
    }

    /**
     * Train minus a stratified validation part, validation, and the official test set: shorthand for
     * {@code load(cache, topic).split(validationFraction, seed)}.
     */
    public static Split loadSplit(ArtifactCache cache, String topic, double validationFraction, long seed)
            throws IOException {
        return load(cache, topic).split(validationFraction, seed);
    }

    static Reuters fromPackage(Path debianRoot, String topic) throws IOException {
        String stem = "Reuters" + Character.toUpperCase(topic.charAt(0)) + topic.substring(1);
        List<String> labelNames = List.of("other", topic);
        TextDataset train = read(debianRoot, stem + "-train.arff", labelNames, EXPECTED_TRAIN);
        TextDataset test = read(debianRoot, stem + "-test.arff", labelNames, EXPECTED_TEST);
        return new Reuters(topic, train, test);
    }

    public String topic() {
        return topic;
    }

    /** The official ModApte training stories. */
    public TextDataset train() {
        return train;
    }

    /** The official ModApte test stories. */
    public TextDataset test() {
        return test;
    }

    /**
     * Splits the official train set into train and validation, stratified and deterministic as
     * {@link TextDataset#split} (round {@code n * (1 - validationFraction)} per label stay in train), and keeps the
     * official test set. With 0.1 and any seed, grain gives train 1,399 (93 positive), validation 155 (10), test
     * 604 (57); corn gives train 1,399 (41 positive), validation 155 (4), test 604 (24).
     *
     * @param validationFraction fraction of train moved to validation, in [0, 1)
     */
    public Split split(double validationFraction, long seed) {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in [0, 1), got " + validationFraction);
        }
        Split carved = train.split(1 - validationFraction, validationFraction, 0, seed);
        return new Split(carved.train(), carved.validation(), test);
    }

    private static String checkTopic(String topic) {
        String key = topic == null ? "" : topic.strip().toLowerCase(Locale.ROOT);
        if (!TOPICS.contains(key)) {
            throw new IllegalArgumentException("Unknown Reuters topic '" + topic + "'; the weka package has "
                    + TOPICS);
        }
        return key;
    }

    private static TextDataset read(Path debianRoot, String fileName, List<String> labelNames, int expected)
            throws IOException {
        Path dir = debianRoot.resolve(EXAMPLES_DIR);
        Path file = dir.resolve(fileName);
        Path gz = dir.resolve(fileName + ".gz");
        String text;
        if (Files.isRegularFile(file)) {
            text = Files.readString(file, StandardCharsets.ISO_8859_1);
        } else if (Files.isRegularFile(gz)) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
                text = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            }
        } else {
            throw new IOException("Expected " + file + " (or .gz) from the Debian package " + DEBIAN_PACKAGE
                    + "; it is missing: delete " + debianRoot
                    + " to fetch the package again");
        }
        TextDataset dataset = toDataset(Arff.parse(text, file.toString()), labelNames, file);
        if (dataset.size() != expected) {
            throw new IOException("Expected " + expected + " stories in " + file + ", found " + dataset.size());
        }
        return dataset;
    }

    /** The first string attribute is the text, the last attribute the {0,1} class. */
    static TextDataset toDataset(Arff.Data data, List<String> labelNames, Path file) {
        int textIndex = -1;
        for (int i = 0; i < data.attributes().size() && textIndex < 0; i++) {
            textIndex = data.attributes().get(i).type().equals("string") ? i : -1;
        }
        int classIndex = data.attributes().size() - 1;
        Arff.Attribute classAttribute = data.attributes().get(classIndex);
        if (textIndex < 0 || !classAttribute.nominalValues().equals(List.of("0", "1"))) {
            throw new IllegalArgumentException("ARFF " + file + ": expected a string attribute and a last "
                    + "attribute {0,1}, found " + data.attributes());
        }
        List<TextExample> examples = new ArrayList<>(data.rows().size());
        for (int row = 0; row < data.rows().size(); row++) {
            List<String> values = data.rows().get(row);
            if (values.get(textIndex) == null || values.get(classIndex) == null) {
                throw new IllegalArgumentException("ARFF " + file + " row " + (row + 1) + " has a missing ('?') "
                        + "text or class value");
            }
            examples.add(new TextExample(MimeText.collapse(values.get(textIndex)),
                    Integer.parseInt(values.get(classIndex))));
        }
        return new TextDataset(examples, labelNames);
    }
}
