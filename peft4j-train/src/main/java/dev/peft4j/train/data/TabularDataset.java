package dev.peft4j.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.train.io.TextFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A user's own labelled text from a CSV file with a header row ({@code .csv}) or JSON Lines, one object per line
 * ({@code .jsonl}, or {@code .json}, which may also hold one JSON array of objects). Files are read as UTF-8.
 *
 * <p>Labels may be strings or integers. They are mapped to indices by sorted label name: numerically when every
 * label is an integer (so labels 0..K-1 keep their values; labels {1, 2} become 0 and 1), otherwise
 * alphabetically ({@code negative, positive} become 0 and 1). {@link TextDataset#labelNames()} keeps the names.
 */
public final class TabularDataset {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TabularDataset() {
    }

    /** One row as read, before labels become indices. */
    private record Row(String text, String textPair, String label) {
    }

    /**
     * Reads {@code file} into a data set.
     *
     * @param textColumn the column (CSV) or key (JSON) holding the text
     * @param textPairColumn the column holding the second text of a pair, or null for single texts
     * @param labelColumn the column holding the label, a string or an integer
     * @throws IllegalArgumentException for an unknown extension, an empty file, a missing column (the message lists
     *     the columns found), a malformed JSON line (with its line number), a CSV row whose number of values
     *     differs from the header's, a missing value, text that is not UTF-8, or a label column with one class
     * @throws IOException if the file cannot be read
     */
    public static TextDataset load(Path file, String textColumn, String textPairColumn, String labelColumn)
            throws IOException {
        if (textColumn == null || labelColumn == null) {
            throw new IllegalArgumentException("textColumn and labelColumn are required, got textColumn="
                    + textColumn + ", labelColumn=" + labelColumn);
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        String content = TextFiles.readUtf8(file, "Data file", "a .csv, .jsonl or .json file");
        if (content.startsWith("\uFEFF")) {
            content = content.substring(1);
        }
        if (content.isBlank()) {
            throw new IllegalArgumentException("File " + file + " is empty; expected "
                    + (name.endsWith(".csv") ? "a header row naming the columns, then one row per example"
                            : "one JSON object per line, e.g. {\"" + textColumn + "\": \"...\", \"" + labelColumn
                                    + "\": \"...\"}"));
        }
        Columns columns = new Columns(file, textColumn, textPairColumn, labelColumn);
        List<Row> rows;
        if (name.endsWith(".csv")) {
            rows = readCsv(content, columns);
        } else if (name.endsWith(".jsonl") || name.endsWith(".json")) {
            rows = readJson(content, columns);
        } else {
            throw new IllegalArgumentException("Cannot tell the format of " + file + " from its name; expected an "
                    + "extension .csv (with a header row), .jsonl or .json (one JSON object per line)");
        }
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("File " + file + " has a header but no examples; add one row per "
                    + "example");
        }
        TextDataset dataset = toDataset(rows);
        if (dataset.numLabels() < 2) {
            throw new IllegalArgumentException("File " + file + " has a single class in its label column '"
                    + labelColumn + "' (every one of its " + rows.size() + " examples is '"
                    + dataset.labelNames().get(0) + "'); a classifier needs at least two classes: add examples of "
                    + "the other classes, or pass the right --label-column");
        }
        return dataset;
    }


    /**
     * Checks that every label seen in validation or test also occurs in train; a model can never learn a class it
     * never saw, and its metrics would silently suffer.
     *
     * @throws IllegalArgumentException naming each such label and where it occurs
     */
    public static void checkLabelsCovered(Split split) {
        int[] train = split.train().labelCounts();
        int[] validation = split.validation().labelCounts();
        int[] test = split.test().labelCounts();
        List<String> missing = new ArrayList<>();
        for (int label = 0; label < train.length; label++) {
            if (train[label] == 0 && (validation[label] > 0 || test[label] > 0)) {
                missing.add("'" + split.train().labelNames().get(label) + "' (validation " + validation[label]
                        + ", test " + test[label] + ")");
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("Labels " + missing + " appear in validation/test but never in "
                    + "train (" + split.train().size() + " examples); the model cannot learn them. Use a stratified "
                    + "split (TextDataset.split), add training examples of these labels, or drop them.");
        }
    }

    private static List<Row> readCsv(String content, Columns columns) throws IOException {
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        List<Row> rows = new ArrayList<>();
        try (CSVParser parser = CSVParser.parse(content, format)) {
            List<String> header = parser.getHeaderNames();
            columns.requireAll(header, "the header row");
            int dataRow = 0;
            for (Iterator<CSVRecord> it = parser.iterator(); it.hasNext(); ) {
                CSVRecord record = it.next();
                dataRow++;
                String where = "data row " + dataRow + " (line " + parser.getCurrentLineNumber() + ")";
                if (record.size() != header.size()) {
                    // more values than columns would be dropped silently, fewer would shift: both are refused
                    throw new IllegalArgumentException(columns.file + " " + where + " has " + record.size()
                            + " values but the header has " + header.size() + " columns " + header
                            + "; quote values that contain commas, or fix the row");
                }
                rows.add(columns.row(record.get(columns.text),
                        columns.pair == null ? null : record.get(columns.pair), record.get(columns.label), where));
            }
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException("File " + columns.file + " is not valid CSV: "
                    + e.getCause().getMessage(), e);
        }
        return rows;
    }

    private static List<Row> readJson(String content, Columns columns) {
        List<Row> rows = new ArrayList<>();
        if (content.strip().startsWith("[")) {
            JsonNode array = parseJson(content, columns, "the JSON array");
            for (int i = 0; i < array.size(); i++) {
                rows.add(jsonRow(array.get(i), columns, "array element " + (i + 1)));
            }
            return rows;
        }
        String[] lines = content.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].isBlank()) {
                String where = "line " + (i + 1);
                rows.add(jsonRow(parseJson(lines[i], columns, where), columns, where));
            }
        }
        return rows;
    }

    private static JsonNode parseJson(String text, Columns columns, String where) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(columns.file + " " + where + " is not valid JSON ("
                    + e.getOriginalMessage() + "); expected one JSON object per line, like {\"" + columns.text
                    + "\": \"...\", \"" + columns.label + "\": \"...\"}", e);
        }
    }

    private static Row jsonRow(JsonNode node, Columns columns, String where) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(columns.file + " " + where + " is a JSON " + node.getNodeType()
                    .toString().toLowerCase(Locale.ROOT) + ", expected an object like {\"" + columns.text
                    + "\": \"...\", \"" + columns.label + "\": \"...\"}");
        }
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        columns.requireAll(keys, where);
        return columns.row(scalar(node, columns.text, columns, where),
                columns.pair == null ? null : scalar(node, columns.pair, columns, where),
                scalar(node, columns.label, columns, where), where);
    }

    private static String scalar(JsonNode node, String key, Columns columns, String where) {
        JsonNode value = node.get(key);
        if (!value.isValueNode() || value.isNull()) {
            throw new IllegalArgumentException(columns.file + " " + where + ": \"" + key + "\" is " + value
                    + ", expected a string or a number");
        }
        return value.asText();
    }

    private static TextDataset toDataset(List<Row> rows) {
        TreeSet<String> distinct = new TreeSet<>();
        rows.forEach(row -> distinct.add(row.label()));
        boolean allIntegers = distinct.stream().allMatch(label -> label.matches("[+-]?\\d{1,18}"));
        List<String> names = new ArrayList<>(distinct);
        if (allIntegers) {
            names.sort(Comparator.comparingLong(label -> Long.parseLong(label.startsWith("+")
                    ? label.substring(1) : label)));
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < names.size(); i++) {
            index.put(names.get(i), i);
        }
        List<TextExample> examples = new ArrayList<>(rows.size());
        for (Row row : rows) {
            examples.add(new TextExample(row.text(), row.textPair(), index.get(row.label())));
        }
        return new TextDataset(examples, names);
    }

    /** The requested column names and the file, for checks and messages. */
    private record Columns(Path file, String text, String pair, String label) {

        List<String> names() {
            return pair == null ? List.of(text, label) : List.of(text, pair, label);
        }

        void requireAll(List<String> found, String where) {
            for (String column : names()) {
                if (!found.contains(column)) {
                    String role = column.equals(text) ? "text" : column.equals(label) ? "label" : "text pair";
                    throw new IllegalArgumentException("Column '" + column + "' (the " + role + " column) not found"
                            + " in " + where + " of " + file + "; columns found: " + found
                            + ". Pass one of these names, or fix the file.");
                }
            }
        }

        Row row(String textValue, String pairValue, String labelValue, String where) {
            String labelText = labelValue.strip();
            if (labelText.isEmpty()) {
                throw new IllegalArgumentException(file + " " + where + " has an empty label in column '" + label
                        + "'; every example needs a label");
            }
            return new Row(textValue, pairValue, labelText);
        }
    }
}
