package dev.peft4j.train.instruct;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.peft4j.train.io.TextFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A user's own instruction data in Stanford Alpaca's format: JSON Lines, one object per line, or one JSON array of
 * objects as in Alpaca's {@code alpaca_data.json}; read as UTF-8, a leading byte-order mark allowed. Each object has
 * a string {@code instruction}, an optional string {@code input} (missing or {@code ""} means none) and a string
 * {@code output}; it becomes an {@link InstructionKind#CUSTOM} example.
 *
 * <p>The reading is strict. Any other field is refused, with its name: a misspelt {@code "Input"} or a
 * {@code "context"} would otherwise drop the input silently and train on the wrong prompt. So are a missing or blank
 * instruction or output, a value that is not a string (including {@code null}), a key given twice, and an empty
 * file. Every message names the file and the line where the object starts.
 */
public final class AlpacaJsonl {

    static final String INSTRUCTION = "instruction";
    static final String INPUT = "input";
    static final String OUTPUT = "output";
    private static final Set<String> FIELDS = Set.of(INSTRUCTION, INPUT, OUTPUT);
    private static final String SHAPE = "{\"instruction\": \"...\", \"input\": \"...\", \"output\": \"...\"}";
    /** Reads one value from a parser that goes on (the array's elements). */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    /** Reads a whole line, refusing anything after its value (two objects on one line would lose the second). */
    private static final ObjectMapper LINE_JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private AlpacaJsonl() {
    }

    /**
     * The examples of {@code file}, in file order.
     *
     * @throws IllegalArgumentException if the file is missing, a directory, not UTF-8, empty, not JSON, or an object
     *     breaks the rules above (the message gives the line)
     * @throws IOException if the file cannot be read
     */
    public static List<InstructionExample> read(Path file) throws IOException {
        String content = TextFiles.readUtf8(file, "Instruction file", "a .jsonl or .json file");
        if (content.startsWith("\uFEFF")) {
            content = content.substring(1);
        }
        if (content.isBlank()) {
            throw new IllegalArgumentException("File " + file + " is empty; expected one JSON object per line like "
                    + SHAPE + ", or one JSON array of such objects (Alpaca's alpaca_data.json)");
        }
        List<InstructionExample> examples = content.stripLeading().startsWith("[") ? readArray(content, file)
                : readLines(content, file);
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("File " + file + " holds an empty JSON array; expected objects like "
                    + SHAPE);
        }
        return examples;
    }

    private static List<InstructionExample> readLines(String content, Path file) {
        List<InstructionExample> examples = new ArrayList<>();
        String[] lines = content.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].isBlank()) {
                JsonNode node;
                try {
                    node = LINE_JSON.readTree(lines[i]);
                } catch (JsonProcessingException e) {
                    throw new IllegalArgumentException(file + " line " + (i + 1) + " is not one valid JSON value ("
                            + e.getOriginalMessage() + "); expected one object per line like " + SHAPE, e);
                }
                examples.add(example(node, file, i + 1));
            }
        }
        return examples;
    }

    private static List<InstructionExample> readArray(String content, Path file) {
        List<InstructionExample> examples = new ArrayList<>();
        try (JsonParser parser = JSON.createParser(content)) {
            parser.nextToken();
            for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
                if (token == null) {
                    throw new IllegalArgumentException(file + " ends inside its JSON array; expected ']' after the "
                            + "last object");
                }
                int line = parser.currentTokenLocation().getLineNr();
                examples.add(example(JSON.readTree(parser), file, line));
            }
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException(file + " line " + parser.currentTokenLocation().getLineNr()
                        + " has more JSON after the array's closing ']'; expected one array, or one object per line");
            }
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " line " + e.getLocation().getLineNr();
            throw new IllegalArgumentException(file + where + " is not valid JSON ("
                    + e.getOriginalMessage() + "); expected one array of objects like " + SHAPE, e);
        } catch (IOException e) {
            throw new IllegalStateException("Reading JSON from a String failed: " + e.getMessage(), e);
        }
        return examples;
    }

    private static InstructionExample example(JsonNode node, Path file, int line) {
        String where = file + " line " + line;
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + " is a JSON " + typeName(node) + ", expected an object like "
                    + SHAPE);
        }
        List<String> unknown = new ArrayList<>();
        node.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                unknown.add(name);
            }
        });
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(where + " has the field(s) " + unknown + ", expected only "
                    + "\"instruction\", \"input\" (optional) and \"output\"; rename them or remove them (nothing "
                    + "else is read, and a misspelt field would be lost silently)");
        }
        String instruction = requiredText(node, INSTRUCTION, where);
        String output = requiredText(node, OUTPUT, where);
        String input = node.has(INPUT) ? text(node.get(INPUT), INPUT, where) : "";
        return InstructionExample.custom(instruction, input, output);
    }

    private static String requiredText(JsonNode node, String field, String where) {
        if (!node.has(field)) {
            throw new IllegalArgumentException(where + " has no \"" + field + "\" field; expected an object like "
                    + SHAPE);
        }
        String value = text(node.get(field), field, where);
        if (value.isBlank()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" is blank; every example needs "
                    + (field.equals(OUTPUT) ? "a reference response" : "an instruction"));
        }
        return value;
    }

    private static String text(JsonNode value, String field, String where) {
        if (!value.isTextual()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" is a " + typeName(value) + " (" + value
                    + "), expected a string" + (field.equals(INPUT) ? "; write \"\" or leave the field out for no "
                            + "input" : ""));
        }
        return value.asText();
    }

    private static String typeName(JsonNode node) {
        return node.getNodeType().toString().toLowerCase(Locale.ROOT);
    }

}
