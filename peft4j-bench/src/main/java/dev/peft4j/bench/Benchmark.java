package dev.peft4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs the benchmark sections that {@link BenchOptions} selects in this JVM, one after the other, and collects them in
 * a {@link BenchReport} with the targets. Every figure is a median of repeated measurements after warm-up, and
 * the ratios compare measurements of the same run, so that a shared, noisy machine still gives comparable numbers
 * (the load average at start and end is recorded beside them).
 *
 * <p>Targets (issue 6): a LoLDU training step at most 1.10x the floor and at most 0.75x full fine-tuning, at least
 * 50% of the GEMM ceiling; merged LoLDU inference equal to the base within noise.
 */
public final class Benchmark {

    static final double FLOOR_TARGET = 1.10;
    static final double FULL_FT_TARGET = 0.75;
    static final double CEILING_TARGET = 0.50;

    private Benchmark() {
    }

    /** Runs the selected sections, printing progress to {@code log}; does not write the JSON ({@link BenchReport#write}). */
    public static BenchReport run(BenchOptions options, PrintStream log) throws IOException {
        if (options.threads() > 0) {
            Engine.getInstance(); // loads the native library that JniUtils calls into
            JniUtils.setNumThreads(options.threads());
        }
        BenchReport report = new BenchReport(options.name(), environment(options));
        Workload workload = Workload.load(options.model(), options.cache(), options.batch(), options.seq());
        double ceiling = Double.NaN;
        try (NDManager manager = NDManager.newBaseManager()) {
            if (options.sections().contains(BenchSection.GEMM) || options.sections().contains(BenchSection.TRAIN)) {
                log.println("peft4j bench: GEMM ceiling");
                GemmBench gemm = GemmBench.run(options, manager);
                ceiling = gemm.ceilingGflops();
                report.add(gemm.section());
            }
            if (options.sections().contains(BenchSection.INIT)) {
                settle();
                log.println("peft4j bench: initialisation");
                report.add(InitBench.run(options, workload, manager));
            }
            if (options.sections().contains(BenchSection.TRAIN)) {
                settle();
                log.println("peft4j bench: training steps (7 cases x " + (options.warmup() + options.repetitions())
                        + " steps)");
                TrainBench train = TrainBench.run(options, workload, manager, ceiling, log);
                report.add(train.section());
                addTrainingTargets(report, train, ceiling);
            }
            if (options.sections().contains(BenchSection.INFERENCE)) {
                settle();
                log.println("peft4j bench: inference");
                report.add(InferenceBench.run(options, workload, manager));
            }
            if (options.sections().contains(BenchSection.GENERATE)) {
                settle();
                log.println("peft4j bench: generation");
                report.add(GenerateBench.run(options, manager));
            }
            if (options.sections().contains(BenchSection.SERVE)) {
                settle();
                ServeBench.Report serve = ServeBench.run(options, manager, log);
                report.add(serve.section());
                serve.targets().forEach(report::add);
            }
            if (options.sections().contains(BenchSection.MEMORY)) {
                settle();
                log.println("peft4j bench: memory (one child JVM per configuration)");
                report.add(MemoryBench.run(options, workload, manager));
            }
        }
        report.putEnvironment("load_average_end", loadAverage());
        return report;
    }

    /**
     * Collects the previous section's garbage (every model copy reads its weights into the heap) so that neither a
     * collection during the next section's timing nor a heap grown to the default quarter of RAM skews the figures.
     */
    private static void settle() {
        System.gc();
    }

    private static void addTrainingTargets(BenchReport report, TrainBench train, double ceiling) {
        double floor = TrainBench.find(train.results(), MethodCase.FLOOR).samples().median();
        double full = TrainBench.find(train.results(), "full FT").samples().median();
        for (TrainBench.Result r : train.results()) {
            if (!r.method().name().startsWith("loldu")) {
                continue;
            }
            double median = r.samples().median();
            report.add(new Target(r.method().name() + " / floor", median / floor, FLOOR_TARGET, false));
            report.add(new Target(r.method().name() + " / full FT", median / full, FULL_FT_TARGET, false));
            report.add(new Target(r.method().name() + " of GEMM ceiling", r.flops().total() / median / 1e9 / ceiling,
                    CEILING_TARGET, true));
        }
    }

    private static Map<String, Object> environment(BenchOptions options) {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("started", Instant.now().toString());
        env.put("model", options.model().id());
        env.put("batch", options.batch());
        env.put("seq", options.seq());
        env.put("warmup", options.warmup());
        env.put("repetitions", options.repetitions());
        env.put("cores", Runtime.getRuntime().availableProcessors());
        env.put("engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
        env.put("engine_threads", JniUtils.getNumThreads());
        env.put("engine_interop_threads", JniUtils.getNumInteropThreads());
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        env.put("load_average_start", loadAverage());
        return env;
    }

    /** The 1-minute load average (other processes compete for the cores), or "n/a" off Linux. */
    static String loadAverage() {
        try {
            Path file = Path.of("/proc/loadavg");
            return Files.isReadable(file) ? Files.readString(file).split(" ")[0] : "n/a";
        } catch (IOException e) {
            return "n/a";
        }
    }
}
