package dev.peft4j.train.loop;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A resumable training state: trainable tensors, optimiser moments, the best epoch's tensors and
 * the loop position, and for a method with a training hook its state now and at the best epoch ({@code hook.safetensors} and
 * {@code best_hook.safetensors}, written only then). Each checkpoint is a fresh folder {@code checkpoint-<step>}; only
 * after it is complete does the pointer file {@code checkpoint-latest} switch to it (atomic rename), so a kill
 * at any moment leaves the previous checkpoint usable.
 */
final class Checkpoint {

    static final String POINTER = "checkpoint-latest";
    private static final String HOOK = "hook.safetensors";
    private static final String BEST_HOOK = "best_hook.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Where the loop stands.
     *
     * @param selectionMetric the metric {@code bestScore} is a value of (null in checkpoints written before it was
     *     recorded, which always picked by a higher-is-better metric)
     */
    record Position(int epoch, int microBatch, int globalStep, double epochLossSum, int epochLossCount,
            int bestEpoch, double bestScore, List<Map<String, Object>> history, String selectionMetric) {
    }

    private Checkpoint() {
    }

    static void save(Path outputDir, ResumableState state) throws IOException {
        Position position = state.position();
        String name = "checkpoint-" + position.globalStep();
        Path dir = outputDir.resolve(name);
        Files.createDirectories(dir);
        SafeTensors.write(dir.resolve("params.safetensors"), toData(state.paramValues()), Map.of());
        SafeTensors.write(dir.resolve("optimizer.safetensors"), toData(state.optimizerState()), Map.of());
        SafeTensors.write(dir.resolve("best.safetensors"), toData(state.best()), Map.of());
        Map<String, float[]> hook = state.hookState();
        if (hook != null) { // a run without a training hook writes exactly the files it always wrote
            SafeTensors.write(dir.resolve(HOOK), toData(hook), Map.of());
            SafeTensors.write(dir.resolve(BEST_HOOK), toData(state.bestHookState()), Map.of());
        }
        AtomicFiles.writeString(dir.resolve("trainer_state.json"), JSON.writeValueAsString(position));
        AtomicFiles.writeString(outputDir.resolve(POINTER), name);
        try (Stream<Path> old = Files.list(outputDir)) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith("checkpoint-")
                    && Files.isDirectory(p) && !p.getFileName().toString().equals(name)).toList()) {
                deleteRecursively(p);
            }
        }
    }

    /** The saved state, or null when {@code outputDir} has no checkpoint. */
    static Loaded load(Path outputDir) throws IOException {
        Path pointer = outputDir.resolve(POINTER);
        if (!Files.exists(pointer)) {
            return null;
        }
        Path dir = outputDir.resolve(Files.readString(pointer).trim());
        Position position = JSON.readValue(dir.resolve("trainer_state.json").toFile(), Position.class);
        boolean hooked = Files.exists(dir.resolve(HOOK));
        return new Loaded(position, fromData(dir.resolve("params.safetensors")),
                fromData(dir.resolve("optimizer.safetensors")), fromData(dir.resolve("best.safetensors")),
                hooked ? new HookState(fromData(dir.resolve(HOOK)), fromData(dir.resolve(BEST_HOOK))) : null);
    }

    /** @param hook the training hook's state, or null for a run without a hook */
    record Loaded(Position position, Map<String, float[]> params, Map<String, float[]> optimizer,
            Map<String, float[]> best, HookState hook) {
    }

    /** A training hook's state at the checkpoint and at the best epoch. */
    record HookState(Map<String, float[]> now, Map<String, float[]> best) {
    }

    /** Flat 1-D tensors: the loader restores shapes from the live parameters. */
    private static Map<String, TensorData> toData(Map<String, float[]> values) {
        Map<String, TensorData> data = new LinkedHashMap<>();
        values.forEach((k, v) -> data.put(k, TensorData.ofFloats(new long[] {v.length}, v)));
        return data;
    }

    private static Map<String, float[]> fromData(Path file) throws IOException {
        Map<String, float[]> values = new LinkedHashMap<>();
        SafeTensors.read(file).tensors().forEach((k, v) -> values.put(k, v.asFloats()));
        return values;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
