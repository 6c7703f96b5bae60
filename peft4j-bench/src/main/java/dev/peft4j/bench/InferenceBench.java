package dev.peft4j.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.precision.Precision;
import dev.peft4j.models.bert.SequenceClassifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Inference throughput (sequences/s, forward only, no dropout, outside any gradient collector) of the plain model,
 * LoLDU r = 64 unmerged (the adapter path runs beside {@code W_res}) and merged ({@code W_eff} folded into one weight,
 * so the forward is the plain model's: the target is equal to base within noise). Interleaved as in {@link TrainBench}.
 */
final class InferenceBench {

    private InferenceBench() {
    }

    private record Case(String name, MethodCase method, boolean merged) {
    }

    /** The section and each case's median batch time in seconds, by case name. */
    record Result(Precision precision, Section section, Map<String, Double> medians) {
    }

    static final String BASE = "base";
    static final String MERGED = "loldu r=64 q,v merged";

    static Result run(BenchOptions options, Workload workload, NDManager parent, Precision precision,
            double ceilingGflops) {
        List<Case> cases = List.of(new Case(BASE, MethodCase.base(), false),
                new Case("loldu r=64 q,v unmerged", MethodCase.loldu(64, "64", false), false),
                new Case(MERGED, MethodCase.loldu(64, "64", false), true),
                new Case("loldu r=64 all unmerged", MethodCase.loldu(64, "64", true), false),
                new Case("loldu r=64 all merged", MethodCase.loldu(64, "64", true), true));
        FlopCounter.ModelShape shape = workload.shape();
        List<NDManager> managers = new ArrayList<>();
        List<PeftModel> models = new ArrayList<>();
        boolean gradMode = JniUtils.isGradMode();
        try {
            for (Case c : cases) {
                NDManager manager = parent.newSubManager();
                managers.add(manager);
                PeftModel peft = workload.wrap(c.method(), manager, precision);
                if (c.merged()) {
                    peft.merge();
                }
                models.add(peft);
            }
            double[][] seconds = new double[cases.size()][options.repetitions()];
            for (int rep = -options.warmup(); rep < options.repetitions(); rep++) {
                for (int i = 0; i < cases.size(); i++) {
                    int c = Math.floorMod(i + rep, cases.size()); // rotated order, as in TrainBench
                    long start = System.nanoTime();
                    forward(models.get(c), workload);
                    if (rep >= 0) {
                        seconds[c][rep] = (System.nanoTime() - start) / 1e9;
                    }
                }
            }
            double base = new Samples(seconds[0]).median();
            List<List<String>> rows = new ArrayList<>();
            List<Object> json = new ArrayList<>();
            Map<String, Double> medians = new LinkedHashMap<>();
            for (int c = 0; c < cases.size(); c++) {
                Samples samples = new Samples(seconds[c]);
                double median = samples.median();
                FlopCounter.Plan plan = cases.get(c).merged() ? FlopCounter.Plan.headOnly() : cases.get(c).method().plan();
                double flops = FlopCounter.inference(shape, plan);
                medians.put(cases.get(c).name(), median);
                rows.add(List.of(cases.get(c).name(), Section.fixed(median * 1e3, 0),
                        Section.fixed(workload.batch() / median, 1), Section.times(median / base),
                        Section.fixed(flops / median / 1e9, 1), Section.percent(flops / median / 1e9 / ceilingGflops)));
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("model", cases.get(c).name());
                entry.put("batch", samples.toMillisJson());
                entry.put("sequences_per_s", workload.batch() / median);
                entry.put("time_over_base", median / base);
                entry.put("achieved_gflops", flops / median / 1e9);
                entry.put("fraction_of_ceiling", flops / median / 1e9 / ceilingGflops);
                json.add(entry);
            }
            Section section = new Section(TrainBench.sectionId("inference", precision), "Inference, "
                    + precision.describe() + " (batch " + workload.batch() + ", seq " + workload.seq() + ")",
                    List.of("model", "median ms", "seq/s", "time/base", "GFLOP/s", "of ceiling"), rows, json,
                    List.of("forward only, outside a gradient collector (engine grad mode " + gradMode + ")",
                            "of ceiling: against the " + precision.id() + " GEMM ceiling"));
            return new Result(precision, section, medians);
        } finally {
            managers.forEach(NDManager::close);
        }
    }

    private static void forward(PeftModel peft, Workload workload) {
        SequenceClassifier classifier = (SequenceClassifier) peft.model();
        try (NDManager step = classifier.manager().newSubManager()) {
            classifier.forward(workload.ids(step), workload.mask(step), null, false).toFloatArray();
        }
    }
}
