package dev.peft4j.apps.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.core.io.DirectoryManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The base model's prior preservation, computed once per base and evaluation and kept in a file: every cell of an
 * experiment compares against the same figure, and it costs as much sampling as the personalised model's. The file
 * is named by a SHA-256 of the base's weights digest and every setting the figure depends on, so a changed model or
 * setting never reads an old figure.
 */
final class BasePriorCache {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;

    /** @param dir the folder of the cached figures (created on first write) */
    BasePriorCache(Path dir) {
        this.dir = dir;
    }

    /** The cached figures of {@code base} under {@code evaluation}, or {@code compute}'s, which are then cached. */
    PersonalisationMetrics.PriorFigures get(DitBase base, PersonalisationMetrics.Evaluation evaluation,
            Supplier<PersonalisationMetrics.PriorFigures> compute) throws IOException {
        String key = String.format(Locale.ROOT, "model %s, judge vit-fashion-mnist, %d per class, %d DDIM steps, "
                + "guidance %s, seed %d", base.modelSha256(), evaluation.priorPerClass(), evaluation.sampling().steps(),
                evaluation.sampling().guidance(), evaluation.seed());
        Path file = dir.resolve("base-prior-" + DirectoryManifest.sha256(key.getBytes(StandardCharsets.UTF_8))
                .substring(0, 16) + ".json");
        if (Files.isRegularFile(file)) {
            JsonNode json = JSON.readTree(file.toFile());
            if (key.equals(json.path("key").asText())) {
                return new PersonalisationMetrics.PriorFigures(json.get("mean").asDouble(),
                        JSON.convertValue(json.get("per_class"), double[].class));
            }
        }
        PersonalisationMetrics.PriorFigures figures = compute.get();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("key", key);
        json.put("mean", figures.mean());
        json.put("per_class", figures.perClass());
        Files.createDirectories(dir);
        AtomicFiles.writeString(file, JSON.writeValueAsString(json));
        return figures;
    }
}
