package dev.peft4j.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArffTest {

    private static final String REUTERS_LIKE = "@relation 'Reuters-21578 Corn ModApte Train-weka.filters'\n"
            + "\n"
            + "% a comment line\n"
            + "@attribute Text string\n"
            + "@ATTRIBUTE 'class-att' {0,1}\n"
            + "\n"
            + "@data\n"
            + "\n"
            + "'BAHIA COCOA REVIEW Showers\\nof Asia\\'s \"drought\"\\tend',0\n"
            + "% comment between rows\n"
            + "\"double \\\"quoted\\\", with comma\",1\r\n"
            + "'back\\\\slash 50\\% off', 0\n";

    @Test
    void parsesReutersStyleRowsWithEscapes() {
        Arff.Data data = Arff.parse(REUTERS_LIKE, "test.arff");
        assertEquals("Reuters-21578 Corn ModApte Train-weka.filters", data.relation());
        assertEquals(List.of(new Arff.Attribute("Text", "string", List.of()),
                new Arff.Attribute("class-att", "nominal", List.of("0", "1"))), data.attributes());
        assertEquals(3, data.rows().size());
        assertEquals(List.of("BAHIA COCOA REVIEW Showers\nof Asia's \"drought\"\tend", "0"), data.rows().get(0));
        assertEquals(List.of("double \"quoted\", with comma", "1"), data.rows().get(1));
        assertEquals(List.of("back\\slash 50% off", "0"), data.rows().get(2));
    }

    @Test
    void toDatasetCollapsesWhiteSpaceAndUsesClassIndex() {
        TextDataset dataset = Reuters.toDataset(Arff.parse(REUTERS_LIKE, "t"), List.of("other", "corn"),
                Path.of("t.arff"));
        assertEquals("BAHIA COCOA REVIEW Showers of Asia's \"drought\" end", dataset.get(0).text());
        assertEquals("[2, 1]", Arrays.toString(dataset.labelCounts()));
    }

    @Test
    void missingValuesAndNumericAttributes() {
        Arff.Data data = Arff.parse("@relation r\n@attribute x numeric\n@attribute c {a,'b c'}\n@data\n?,'b c'\n"
                + "1.5,?\n", "m.arff");
        assertEquals(Arrays.asList(null, "b c"), data.rows().get(0));
        assertEquals(Arrays.asList("1.5", null), data.rows().get(1));
        assertEquals(List.of("a", "b c"), data.attributes().get(1).nominalValues());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Reuters.toDataset(data, List.of("other", "x"), Path.of("m.arff")));
        assertTrue(e.getMessage().contains("expected a string attribute and a last attribute {0,1}"), e.getMessage());
    }

    @Test
    void errorsNameSourceLineAndExpectation() {
        assertMessage("ARFF e.arff line 5: expected 2 values (one per @attribute), found 1",
                "@relation r\n@attribute t string\n@attribute c {0,1}\n@data\n'only text'\n");
        assertMessage("ARFF e.arff line 5: value '2' of 'c' is not one of [0, 1]",
                "@relation r\n@attribute t string\n@attribute c {0,1}\n@data\n'text',2\n");
        assertMessage("ARFF e.arff line 5: the value opened with ' is never closed",
                "@relation r\n@attribute t string\n@attribute c {0,1}\n@data\n'text,1\n");
        assertMessage("sparse rows", "@relation r\n@attribute t string\n@data\n{0 'x'}\n");
        assertMessage("reached the end of the file before @data", "@relation r\n@attribute t string\n");
        assertMessage("attribute 'x' has type 'relational'", "@relation r\n@attribute x relational\n@data\n");
        assertMessage("expected @relation, @attribute or @data, found 'hello'", "hello\n@data\n");
        assertMessage("expected ',' or the end of the row after value 1, found 'x'",
                "@relation r\n@attribute t string\n@attribute c {0,1}\n@data\n'a' x,1\n");
    }

    private static void assertMessage(String expected, String arff) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Arff.parse(arff, "e.arff"));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
