package dev.peft4j.models.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The sharded form of a {@link SafeTensorsCheckpoint}: the index {@code model.safetensors.index.json}
 * ({@code {"metadata": {"total_size": N}, "weight_map": {"key": "model-00001-of-00002.safetensors", ...}}}) and the
 * shard files it names, apart from the checkpoint so that the checkpoint deals in tensors and this class in files.
 *
 * <p>The index and its shards must agree exactly, each listed tensor in its shard and each shard tensor listed,
 * because shards of two saves mixed in one directory would otherwise load as half of each model.
 */
final class SafeTensorsShards {

    private static final Pattern SHARD = Pattern.compile("model-\\d{5}-of-\\d{5}\\.safetensors");

    private SafeTensorsShards() {
    }

    /** The file name of shard {@code k} (from 1) of {@code n}, as {@code save_pretrained} names it. */
    static String name(int k, int n) {
        return String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", k, n);
    }

    /**
     * Every tensor {@code index} lists, from its shard in {@code dir}. All shards are checked to exist before any is
     * read; a shard tensor the index does not list is refused unless {@code mayBeUnlisted} accepts its name.
     */
    static Map<String, SafeTensorsCheckpoint.Located> read(Path dir, Path index, Predicate<String> mayBeUnlisted)
            throws IOException {
        JsonNode root;
        try {
            root = HuggingFaceJson.read(Files.readString(index, StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new AdapterFormatException(index, "<json>", "a JSON object", "invalid JSON ("
                    + e.getOriginalMessage() + ")", "re-download the index; it is damaged", e);
        }
        JsonNode map = root == null || !root.isObject() ? null : root.get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new AdapterFormatException(index, "weight_map", "an object mapping each tensor to its shard file",
                    map == null ? "no weight_map" : snippet(map), "re-download the index; it is damaged");
        }
        JsonNode metadata = root.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw new AdapterFormatException(index, "metadata", "an object (such as {\"total_size\": N})",
                    snippet(metadata), "re-download the index; it is damaged");
        }
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            JsonNode shard = e.getValue();
            if (!shard.isTextual() || !isPlainFileName(shard.textValue())) {
                throw new AdapterFormatException(index, e.getKey(), "the file name of a shard in " + dir,
                        snippet(shard), "the index may only name files beside it; re-download it");
            }
            byShard.computeIfAbsent(shard.textValue(), s -> new ArrayList<>()).add(e.getKey());
        }
        for (Map.Entry<String, List<String>> e : byShard.entrySet()) { // all present before any is read
            if (!Files.isRegularFile(dir.resolve(e.getKey()))) {
                throw new AdapterFormatException(index, e.getValue().get(0), "its shard " + e.getKey() + " in " + dir,
                        "no such file (" + e.getValue().size() + " tensors are listed in it)",
                        "download every one of the " + byShard.size() + " shards the index lists");
            }
        }
        Map<String, SafeTensorsCheckpoint.Located> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
            Path file = dir.resolve(e.getKey());
            Map<String, TensorData> inShard = SafeTensors.read(file).tensors();
            Set<String> listed = Set.copyOf(e.getValue());
            for (String key : e.getValue()) {
                TensorData t = inShard.get(key);
                if (t == null) {
                    throw new AdapterFormatException(file, key, "the tensor, which "
                            + SafeTensorsCheckpoint.INDEX_FILE + " places in this shard", "no such tensor (the shard "
                            + "has " + inShard.size() + ")",
                            "the index and the shards come from different saves; re-download them together");
                }
                tensors.put(key, new SafeTensorsCheckpoint.Located(file, t));
            }
            for (Map.Entry<String, TensorData> t : inShard.entrySet()) {
                if (!listed.contains(t.getKey()) && !mayBeUnlisted.test(t.getKey())) {
                    throw new AdapterFormatException(file, t.getKey(), "only the tensors "
                            + SafeTensorsCheckpoint.INDEX_FILE + " places in this shard", "a tensor the index "
                            + (map.has(t.getKey()) ? "places in " + map.get(t.getKey()).textValue() : "does not list"),
                            "the index and the shards come from different saves; re-download them together");
                }
            }
        }
        return tensors;
    }

    /**
     * Atomically writes the index: {@code metadata.total_size} (bytes of tensor data) and {@code weight_map} (tensor
     * to shard file name) sorted by tensor name, as {@code transformers} writes it.
     */
    static void writeIndex(Path file, Map<String, String> weightMap, long totalBytes) throws IOException {
        ObjectNode index = HuggingFaceJson.object();
        index.putObject("metadata").put("total_size", totalBytes);
        ObjectNode map = index.putObject("weight_map");
        new TreeMap<>(weightMap).forEach(map::put);
        AtomicFiles.writeString(file, HuggingFaceJson.pythonStyle(index));
    }

    /** Removes {@code model-0000K-of-0000N.safetensors} files of an earlier save that {@code keep} does not name. */
    static void deleteStale(Path dir, Set<String> keep) throws IOException {
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "model-*-of-*.safetensors")) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                if (SHARD.matcher(name).matches() && !keep.contains(name)) {
                    stale.add(file);
                }
            }
        }
        for (Path file : stale) {
            Files.deleteIfExists(file);
        }
    }

    /** A name that resolves beside the index: no separator, drive or parent step, so the index cannot point out. */
    private static boolean isPlainFileName(String name) {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0
                && name.indexOf('\\') < 0 && name.indexOf(':') < 0 && name.indexOf('\0') < 0;
    }

    private static String snippet(JsonNode node) {
        String text = node.toString();
        return text.length() <= 80 ? text : text.substring(0, 80) + "...";
    }
}
