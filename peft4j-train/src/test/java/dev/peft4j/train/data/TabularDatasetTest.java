package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TabularDatasetTest {

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    @Test
    void csvWithQuotesNewlinesPairsAndStringLabels() throws IOException {
        Path file = write("pairs.csv", "\uFEFFid,premise,hypothesis,label\n"
                + "1,\"A man, a plan\",\"a canal\",positive\n"
                + "2,\"two\nlines\",x,negative\n"
                + "3,plain,\"say \"\"hi\"\"\",positive\n");
        TextDataset dataset = TabularDataset.load(file, "premise", "hypothesis", "label");
        assertEquals(List.of("negative", "positive"), dataset.labelNames());
        assertEquals(new TextExample("A man, a plan", "a canal", 1), dataset.get(0));
        assertEquals(new TextExample("two\nlines", "x", 0), dataset.get(1));
        assertEquals("say \"hi\"", dataset.get(2).textPair());
    }

    @Test
    void integerLabelsSortNumerically() throws IOException {
        Path file = write("ints.csv", "text,label\na,10\nb,2\nc,2\nd,0\n");
        TextDataset dataset = TabularDataset.load(file, "text", null, "label");
        assertEquals(List.of("0", "2", "10"), dataset.labelNames());
        assertEquals(List.of(2, 1, 1, 0), dataset.examples().stream().map(TextExample::label).toList());
        assertNull(dataset.get(0).textPair());
    }

    @Test
    void jsonLinesWithIntAndStringLabelsAndBlankLines() throws IOException {
        Path file = write("data.jsonl", "{\"text\": \"great food\", \"label\": 1}\n\n"
                + "{\"text\": \"bad \\u00e9\", \"label\": 0, \"extra\": [1]}\r\n"
                + "{\"label\": \"1\", \"text\": \"ok\"}\n");
        TextDataset dataset = TabularDataset.load(file, "text", null, "label");
        assertEquals(List.of("0", "1"), dataset.labelNames());
        assertEquals(List.of(new TextExample("great food", 1), new TextExample("bad \u00e9", 0),
                new TextExample("ok", 1)), dataset.examples());
    }

    @Test
    void jsonArrayFile() throws IOException {
        Path file = write("data.json", "[{\"q\": \"a\", \"p\": \"b\", \"y\": \"yes\"}, {\"q\": \"c\", \"p\": \"d\", "
                + "\"y\": \"no\"}]");
        TextDataset dataset = TabularDataset.load(file, "q", "p", "y");
        assertEquals(List.of("no", "yes"), dataset.labelNames());
        assertEquals(new TextExample("c", "d", 0), dataset.get(1));
    }

    @Test
    void missingColumnListsColumnsFound() throws IOException {
        Path csv = write("a.csv", "sentence,label\nx,1\n");
        assertMessage(csv, "text", "label", "Column 'text' (the text column) not found in the header row of "
                + csv + "; columns found: [sentence, label]");
        Path jsonl = write("a.jsonl", "{\"sentence\": \"x\", \"label\": 1}\n");
        assertMessage(jsonl, "sentence", "y", "Column 'y' (the label column) not found in line 1 of " + jsonl
                + "; columns found: [sentence, label]");
    }

    @Test
    void emptyFilesAndHeaderOnly() throws IOException {
        assertMessage(write("e.csv", ""), "text", "label", "is empty; expected a header row naming the columns");
        assertMessage(write("e.jsonl", "\n  \n"), "text", "label", "is empty; expected one JSON object per line");
        assertMessage(write("h.csv", "text,label\n"), "text", "label", "has a header but no examples");
    }

    @Test
    void badJsonLineNamesItsLineNumber() throws IOException {
        Path file = write("bad.jsonl", "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": }\n");
        assertMessage(file, "text", "label", file + " line 2 is not valid JSON (");
        Path notObject = write("arr.jsonl", "{\"text\": \"a\", \"label\": 1}\n\n[1, 2]\n");
        assertMessage(notObject, "text", "label", notObject + " line 3 is a JSON array, expected an object");
        Path nullLabel = write("null.jsonl", "{\"text\": \"a\", \"label\": null}\n");
        assertMessage(nullLabel, "text", "label", "line 1: \"label\" is null, expected a string or a number");
    }

    @Test
    void raggedCsvRowEmptyLabelAndUnknownExtension() throws IOException {
        assertMessage(write("r.csv", "text,label\na,1\nb\n"), "text", "label",
                "data row 2 (line 3) has 1 values but the header has 2 columns [text, label]");
        assertMessage(write("l.csv", "text,label\na, \n"), "text", "label", "data row 1 (line 2) has an empty label");
        assertMessage(write("x.tsv", "text\tlabel\n"), "text", "label", "expected an extension .csv");
    }

    @Test
    void aRowWithMoreValuesThanTheHeaderNamesFileAndLine() throws IOException {
        Path file = write("wide.csv", "text,label\na,1\nb,0\nc,1,extra\n");
        assertMessage(file, "text", "label", file + " data row 3 (line 4) has 3 values but the header has 2 columns");
    }

    @Test
    void aSingleClassNamesTheFileAndTheLabelColumn() throws IOException {
        Path file = write("one.csv", "text,y\na,spam\nb,spam\nc,spam\n");
        assertMessage(file, "text", "y", "File " + file + " has a single class in its label column 'y' (every one of "
                + "its 3 examples is 'spam')");
    }

    @Test
    void notUtf8MissingAndDirectoryNameTheFile() throws IOException {
        Path latin1 = Files.write(dir.resolve("latin1.csv"), "text,label\ncaf\u00e9,1\nb,0\n"
                .getBytes(StandardCharsets.ISO_8859_1));
        assertMessage(latin1, "text", "label", "File " + latin1 + " is not valid UTF-8 text");
        Path missing = dir.resolve("missing.csv");
        assertMessage(missing, "text", "label", "Data file " + missing + " does not exist");
        assertMessage(dir, "text", "label", "Data file " + dir + " is a directory");
    }

    @Test
    void checkLabelsCoveredNamesTheUnseenLabel() {
        List<String> names = List.of("a", "b", "c");
        TextDataset train = new TextDataset(List.of(new TextExample("x", 0), new TextExample("y", 1)), names);
        TextDataset val = new TextDataset(List.of(new TextExample("z", 2)), names);
        TextDataset test = new TextDataset(List.of(new TextExample("w", 2), new TextExample("v", 0)), names);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TabularDataset.checkLabelsCovered(new Split(train, val, test)));
        assertTrue(e.getMessage().startsWith("Labels ['c' (validation 1, test 1)] appear in validation/test but "
                + "never in train (2 examples)"), e.getMessage());
        TabularDataset.checkLabelsCovered(new Split(train, train, train.withExamples(List.of())));
    }

    @Test
    void loadedFileSplitsAndIsCovered() throws IOException {
        StringBuilder csv = new StringBuilder("text,label\n");
        for (int i = 0; i < 40; i++) {
            csv.append("t").append(i).append(',').append(i % 4 == 0 ? "rare" : "common").append('\n');
        }
        Split split = TabularDataset.load(write("s.csv", csv.toString()), "text", null, "label")
                .split(0.8, 0.1, 0.1, 7);
        TabularDataset.checkLabelsCovered(split);
        assertEquals("[24, 8]", Arrays.toString(split.train().labelCounts()));
    }

    private static void assertMessage(Path file, String text, String label, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TabularDataset.load(file, text, null, label));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
