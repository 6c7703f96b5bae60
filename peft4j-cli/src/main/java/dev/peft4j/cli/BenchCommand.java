package dev.peft4j.cli;

import dev.peft4j.bench.BenchOptions;
import dev.peft4j.bench.BenchReport;
import dev.peft4j.bench.BenchSection;
import dev.peft4j.bench.Benchmark;
import dev.peft4j.core.precision.Precision;
import dev.peft4j.hub.ArtifactCache;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code peft4j bench}: where the time and memory go, as ratios measured in one run; see {@link Benchmark}. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure GEMM ceiling, LoLDU initialisation, training steps (as ratios to a floor and to full "
                + "fine-tuning), inference and memory in one run; print tables and write <output>/<name>.json.",
                "Medians of repeated measurements: run it on an otherwise idle machine for the README."})
final class BenchCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--name", defaultValue = "latest", description = "Report name: the file is <output>/<name>.json "
            + "(default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--sections", split = ",", defaultValue = "gemm,init,train,inference,generate,memory",
            description = "Comma-separated sections to run: gemm, init, train, inference, generate, memory, serve "
                    + "(default: ${DEFAULT-VALUE}; train also measures gemm, its reference; serve, many tenants' "
                    + "adapters over one base, takes about 10 minutes and runs only when named).")
    List<String> sections;

    @Option(names = "--repetitions", defaultValue = "10",
            description = "Timed repetitions per measurement; medians are reported (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed repetitions first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--batch", defaultValue = "32", description = "Sequences per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--precisions", split = ",", defaultValue = "fp32,bf16",
            description = "Precisions of the gemm, train and inference sections, each against its own GEMM ceiling "
                    + "(default: ${DEFAULT-VALUE}; bf16 runs the emulated kernel where the CPU has no bf16 units).")
    List<String> precisions;

    @Mixin
    EngineOptions engineOptions; // the benchmark sets the threads itself and records them in its report

    @Option(names = "--output", defaultValue = "bench/results",
            description = "Folder for the JSON report (default: ${DEFAULT-VALUE}).")
    Path output;

    @Override
    public Integer call() throws Exception {
        Set<BenchSection> chosen = EnumSet.noneOf(BenchSection.class);
        sections.forEach(id -> chosen.add(BenchSection.fromId(id)));
        BenchOptions options = new BenchOptions(name, chosen, warmup, repetitions, batch, modelOptions.maxLength,
                modelOptions.textEncoder(), output, ArtifactCache.defaultCache(), engineOptions.threads,
                precisions.stream().map(Precision::parse).toList());
        BenchReport report = Benchmark.run(options, System.err);
        System.out.print(report.table());
        Path file = report.write(output);
        System.out.println("wrote " + file);
        return 0;
    }
}
