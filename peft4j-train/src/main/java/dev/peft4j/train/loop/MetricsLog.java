package dev.peft4j.train.loop;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/** Appends one JSON object per line to {@code metrics.jsonl}: steps, evaluations, the final result. */
final class MetricsLog {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    MetricsLog(Path dir) {
        this.file = dir == null ? null : dir.resolve("metrics.jsonl");
    }

    void write(String event, Map<String, Object> fields) {
        if (file == null) {
            return;
        }
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("event", event);
        record.putAll(fields);
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, JSON.writeValueAsString(record) + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot append to " + file + ": " + e.getMessage(), e);
        }
    }
}
