package dev.peft4j.bench;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.precision.Precision;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training steps of every {@link MethodCase#trainingCases training case}, each on its own copy of the model, measured
 * interleaved (repetition i of every case, then repetition i + 1, the order rotated by one each time): on a shared
 * machine a burst of load then hits all cases alike instead of one, so the ratios to the floor stay fair. Each case
 * first runs its warm-up steps.
 */
final class TrainBench {

    /** Median step time of one case, with its FLOPs. */
    record Result(MethodCase method, Samples samples, Samples forward, Samples backward, Samples update,
            FlopCounter.Count flops, long trainable) {
    }

    private final Precision precision;
    private final List<Result> results;
    private final Section section;

    private TrainBench(Precision precision, List<Result> results, Section section) {
        this.precision = precision;
        this.results = results;
        this.section = section;
    }

    /** The section's id: {@code train} in fp32 (as before precisions existed), {@code train-bf16} in bf16. */
    static String sectionId(String base, Precision precision) {
        return precision == Precision.FP32 ? base : base + "-" + precision.id();
    }

    static TrainBench run(BenchOptions options, Workload workload, NDManager parent, Precision precision,
            double ceilingGflops, java.io.PrintStream log) {
        List<MethodCase> cases = MethodCase.trainingCases(workload.fullRank());
        FlopCounter.ModelShape shape = workload.shape();
        List<NDManager> managers = new ArrayList<>();
        List<TrainingStep> steps = new ArrayList<>();
        try {
            for (MethodCase method : cases) {
                NDManager manager = parent.newSubManager();
                managers.add(manager);
                steps.add(new TrainingStep(workload.wrap(method, manager, precision), workload));
            }
            for (TrainingStep step : steps) {
                for (int i = 0; i < options.warmup(); i++) {
                    step.run();
                }
            }
            double[][] seconds = new double[cases.size()][options.repetitions()];
            double[][][] phases = new double[cases.size()][3][options.repetitions()];
            for (int rep = 0; rep < options.repetitions(); rep++) {
                log.printf(java.util.Locale.ROOT, "peft4j bench: %s training repetition %d of %d%n", precision.id(),
                        rep + 1, options.repetitions());
                for (int i = 0; i < cases.size(); i++) {
                    int c = (i + rep) % cases.size(); // rotate the order: no case always follows the same one
                    long start = System.nanoTime();
                    double[] phase = steps.get(c).run();
                    seconds[c][rep] = (System.nanoTime() - start) / 1e9;
                    for (int p = 0; p < 3; p++) {
                        phases[c][p][rep] = phase[p];
                    }
                }
            }
            List<Result> results = new ArrayList<>();
            for (int c = 0; c < cases.size(); c++) {
                results.add(new Result(cases.get(c), new Samples(seconds[c]), new Samples(phases[c][0]),
                        new Samples(phases[c][1]), new Samples(phases[c][2]),
                        FlopCounter.trainingStep(shape, cases.get(c).plan()), steps.get(c).trainableCount()));
            }
            return new TrainBench(precision, results, section(options, precision, results, ceilingGflops));
        } finally {
            steps.forEach(TrainingStep::close);
            managers.forEach(NDManager::close);
        }
    }

    private static Section section(BenchOptions options, Precision precision, List<Result> results,
            double ceilingGflops) {
        double floor = results.get(0).samples().median();
        double full = find(results, "full FT").samples().median();
        List<List<String>> rows = new ArrayList<>();
        List<Object> json = new ArrayList<>();
        for (Result r : results) {
            double median = r.samples().median();
            double gflops = r.flops().total() / median / 1e9;
            rows.add(List.of(r.method().name(), String.format(java.util.Locale.ROOT, "%,d", r.trainable()),
                    Section.fixed(median * 1e3, 0), Section.fixed(r.samples().min() * 1e3, 0) + "-"
                            + Section.fixed(r.samples().max() * 1e3, 0),
                    Section.fixed(r.forward().median() * 1e3, 0), Section.fixed(r.backward().median() * 1e3, 0),
                    Section.fixed(r.update().median() * 1e3, 0),
                    Section.times(median / floor), Section.times(median / full),
                    Section.fixed(r.flops().total() / 1e9, 1), Section.fixed(gflops, 1),
                    Section.percent(gflops / ceilingGflops)));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("method", r.method().name());
            entry.put("trainable_params", r.trainable());
            entry.put("step", r.samples().toMillisJson());
            entry.put("forward", r.forward().toMillisJson());
            entry.put("backward", r.backward().toMillisJson());
            entry.put("free_and_update", r.update().toMillisJson());
            entry.put("over_floor", median / floor);
            entry.put("over_full_ft", median / full);
            entry.put("gflop_forward", r.flops().forward() / 1e9);
            entry.put("gflop_backward", r.flops().backward() / 1e9);
            entry.put("achieved_gflops", gflops);
            entry.put("fraction_of_ceiling", gflops / ceilingGflops);
            json.add(entry);
        }
        return new Section(sectionId("train", precision), "Training step, " + precision.describe() + " (batch "
                + options.batch() + ", seq " + options.seq() + ")",
                List.of("method", "trainable", "median ms", "min-max ms", "fwd ms", "bwd ms", "upd ms", "/floor", "/full FT", "GFLOP", "GFLOP/s",
                        "of ceiling"),
                rows, json, List.of(
                        "step = forward (dropout on) + cross-entropy + backward + fused AdamW + freeing activations; "
                                + "head trains in every case (trainable includes it); fwd/bwd/upd = medians of the "
                                + "phases (upd = freeing the step's tensors + AdamW)",
                        "floor = LoLDU r=1 on encoder.layer.0.attention.self.query only: the backward any layer-0 "
                                + "adapter needs, no adapter cost",
                        "of ceiling: against the " + precision.id() + " GEMM ceiling",
                        "GFLOP: linears 2mn/token forward, +2mn input grad where the input needs one, +2mn weight "
                                + "grad where W trains; adapters 2r(m+n) forward; attention 4 s^2 h per sequence "
                                + "and layer forward, 2 s^2 h per operand gradient"));
    }

    static Result find(List<Result> results, String name) {
        return results.stream().filter(r -> r.method().name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("No training case named '" + name + "'"));
    }

    Precision precision() {
        return precision;
    }

    List<Result> results() {
        return results;
    }

    Section section() {
        return section;
    }
}
