package dev.peft4j.models.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The JSON of a Hugging Face model directory ({@code config.json}, {@code model.safetensors.index.json}), in one
 * place so that every reader refuses the same damage and every writer lays files out the same way.
 *
 * <p>Reading is strict: a key given twice, or text after the top-level value, is an error rather than "the last one
 * wins" or "ignored", since either means a damaged or hand-merged file whose meaning is ambiguous. Writing follows
 * Python's {@code json.dumps(indent=2)}, as {@code transformers} writes these files, so a saved file diffs cleanly
 * against one {@code save_pretrained} wrote.
 */
public final class HuggingFaceJson {

    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** Python's {@code json.dumps(indent=2)} layout: two-space indent, {@code "key": value}, one item a line. */
    private static final ObjectWriter PYTHON_STYLE = STRICT.writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private HuggingFaceJson() {
    }

    /**
     * The tree of {@code text}, refusing duplicate keys and trailing content; null or a missing node when the text
     * holds no value, as {@link ObjectMapper#readTree(String)} returns them.
     */
    public static JsonNode read(String text) throws JsonProcessingException {
        return STRICT.readTree(text);
    }

    /**
     * The {@code model_type} of {@code dir/config.json}, or null when the directory has no readable config that names
     * one: how a command tells a Llama, a ViT and a DiT directory apart before loading any of them (loading it then
     * names what is wrong with a damaged file).
     */
    public static String modelType(Path dir) {
        Path config = dir.resolve("config.json");
        try {
            // lenient: a config damaged in other ways still says what it is, and its loader then refuses the damage
            return Files.isRegularFile(config)
                    ? new ObjectMapper().readTree(config.toFile()).path("model_type").textValue() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** An empty object to fill and pass to {@link #pythonStyle}; keys are written in insertion order. */
    public static ObjectNode object() {
        return STRICT.createObjectNode();
    }

    /** The tree as {@code transformers} lays out its JSON files (keys in the tree's order), ending in a newline. */
    public static String pythonStyle(JsonNode tree) {
        try {
            return PYTHON_STYLE.writeValueAsString(tree) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: a tree of plain values always serialises", e);
        }
    }
}
