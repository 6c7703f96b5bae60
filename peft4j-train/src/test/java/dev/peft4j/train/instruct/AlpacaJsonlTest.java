package dev.peft4j.train.instruct;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlpacaJsonlTest {

    @TempDir
    Path dir;

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private void assertRefused(String content, String expected) throws IOException {
        Path file = write("bad.jsonl", content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AlpacaJsonl.read(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    @Test
    void jsonLinesWithAndWithoutInput() throws IOException {
        Path file = write("own.jsonl", "\uFEFF{\"instruction\": \"Give three tips for staying healthy.\", "
                + "\"output\": \"1. Eat well.\\n2. Sleep.\\n3. Walk.\"}\n"
                + "\n"
                + "{\"instruction\": \"Translate to French.\", \"input\": \"cat\", \"output\": \"chat\"}\r\n"
                + "{\"instruction\": \"Say hi.\", \"input\": \"\", \"output\": \"hi\"}\n");
        assertEquals(List.of(
                InstructionExample.custom("Give three tips for staying healthy.", "",
                        "1. Eat well.\n2. Sleep.\n3. Walk."),
                InstructionExample.custom("Translate to French.", "cat", "chat"),
                InstructionExample.custom("Say hi.", "", "hi")), AlpacaJsonl.read(file));
        assertEquals(InstructionKind.CUSTOM, AlpacaJsonl.read(file).get(0).kind());
        assertEquals("", AlpacaJsonl.read(file).get(0).word());
    }

    @Test
    void anArrayAsInAlpacaData() throws IOException {
        Path file = write("alpaca_data.json", "[\n"
                + "    {\n"
                + "        \"instruction\": \"Give three tips for staying healthy.\",\n"
                + "        \"input\": \"\",\n"
                + "        \"output\": \"1.Eat a balanced diet.\"\n"
                + "    },\n"
                + "    {\n"
                + "        \"instruction\": \"Identify the odd one out.\",\n"
                + "        \"input\": \"Twitter, Instagram, Telegram\",\n"
                + "        \"output\": \"Telegram\"\n"
                + "    }\n"
                + "]");
        assertEquals(List.of(InstructionExample.custom("Give three tips for staying healthy.", "",
                "1.Eat a balanced diet."), InstructionExample.custom("Identify the odd one out.",
                "Twitter, Instagram, Telegram", "Telegram")), AlpacaJsonl.read(file));
    }

    @Test
    void errorsInAnArrayNameTheLineWhereTheObjectStarts() throws IOException {
        Path file = write("alpaca_data.json", "[\n  {\"instruction\": \"a\", \"output\": \"b\"},\n"
                + "  {\"instruction\": \"c\",\n   \"ouput\": \"d\"}\n]");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AlpacaJsonl.read(file));
        assertTrue(e.getMessage().startsWith(file + " line 3 has the field(s) [ouput], expected only "
                + "\"instruction\", \"input\" (optional) and \"output\""), e.getMessage());
        Path trailing = write("trailing.json", "[{\"instruction\": \"a\", \"output\": \"b\"}]\n{}");
        e = assertThrows(IllegalArgumentException.class, () -> AlpacaJsonl.read(trailing));
        assertTrue(e.getMessage().contains("line 2 has more JSON after the array's closing ']'"), e.getMessage());
        Path open = write("open.json", "[{\"instruction\": \"a\", \"output\": \"b\"},");
        e = assertThrows(IllegalArgumentException.class, () -> AlpacaJsonl.read(open));
        assertTrue(e.getMessage().contains("is not valid JSON"), e.getMessage());
    }

    @Test
    void malformedLinesAreRefusedWithTheirNumber() throws IOException {
        String good = "{\"instruction\": \"a\", \"output\": \"b\"}\n";
        assertRefused(good + "{\"instruction\": \"a\"}\n", "line 2 has no \"output\" field");
        assertRefused(good + good + "{\"instruction\": \"a\", \"output\": 42}\n",
                "line 3: \"output\" is a number (42), expected a string");
        assertRefused("{\"instruction\": \"a\", \"input\": null, \"output\": \"b\"}\n",
                "line 1: \"input\" is a null (null), expected a string; write \"\" or leave the field out");
        assertRefused("{\"instruction\": \" \", \"output\": \"b\"}\n", "line 1: \"instruction\" is blank");
        assertRefused("{\"instruction\": \"a\", \"output\": \"b\", \"text\": \"x\", \"Input\": \"y\"}\n",
                "line 1 has the field(s) [text, Input]");
        assertRefused("{\"instruction\": \"a\", \"output\": \"b\"} {\"instruction\": \"c\", \"output\": \"d\"}\n",
                "line 1 is not one valid JSON value");
        assertRefused("{\"instruction\": \"a\", \"output\": \"b\", \"output\": \"c\"}\n",
                "line 1 is not one valid JSON value (Duplicate field 'output')");
        assertRefused(good + "{\"instruction\": \"a\",\n", "line 2 is not one valid JSON value");
        assertRefused("\"just a string\"\n", "line 1 is a JSON string, expected an object");
    }

    @Test
    void emptyAndMissingFiles() throws IOException {
        assertRefused("  \n\n", "is empty; expected one JSON object per line");
        assertRefused("[ ]", "holds an empty JSON array");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AlpacaJsonl.read(dir.resolve("absent.jsonl")));
        assertTrue(e.getMessage().endsWith("absent.jsonl does not exist"), e.getMessage());
        Path notUtf8 = dir.resolve("latin1.jsonl");
        Files.write(notUtf8, new byte[] {'{', '"', (byte) 0xe9, '"', '}'});
        e = assertThrows(IllegalArgumentException.class, () -> AlpacaJsonl.read(notUtf8));
        assertTrue(e.getMessage().contains("is not valid UTF-8 text"), e.getMessage());
    }
}
