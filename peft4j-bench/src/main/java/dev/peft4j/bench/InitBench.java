package dev.peft4j.bench;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.decomp.LduDecomposition;
import dev.peft4j.models.bert.SequenceClassifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Initialisation: the time {@code Peft.wrap} takes to decompose every targeted layer and build its LoLDU adapter
 * (weights copied out, truncated LU in Java, {@code W_res} by one engine GEMM), and the decomposition alone, truncated
 * at r versus a full LU ({@code LduDecomposition} with rank {@code min(m, n)}). At r = full the two are the same
 * computation; the speed-up column shows what truncation saves at r = 64.
 */
final class InitBench {

    private InitBench() {
    }

    static Section run(BenchOptions options, Workload workload, NDManager parent) {
        List<List<String>> rows = new ArrayList<>();
        List<Object> json = new ArrayList<>();
        int fullRank = workload.fullRank();
        for (boolean allLinear : new boolean[] {false, true}) {
            try (NDManager manager = parent.newSubManager()) {
                SequenceClassifier classifier = workload.classifier(manager);
                MethodCase probe = MethodCase.loldu(64, "64", allLinear);
                List<LinearSlot> slots = targeted(classifier, probe);
                List<float[]> weights = slots.stream().map(slot -> slot.weight().toFloatArray()).toList();
                Samples full = Samples.time(options.warmup(), options.repetitions(),
                        () -> decompose(slots, weights, Integer.MAX_VALUE));
                for (int rank : new int[] {64, fullRank}) {
                    MethodCase method = MethodCase.loldu(rank, rank == fullRank ? "full" : "64", allLinear);
                    Samples wrap = timeWrap(options, classifier, method);
                    Samples truncated = rank == fullRank ? full
                            : Samples.time(options.warmup(), options.repetitions(), () -> decompose(slots, weights, rank));
                    String targets = allLinear ? "all-linear" : "q,v";
                    rows.add(List.of(targets, rank == fullRank ? "full (" + rank + ")" : String.valueOf(rank),
                            String.valueOf(slots.size()), Section.fixed(wrap.median() * 1e3, 1),
                            Section.fixed(truncated.median() * 1e3, 1), Section.fixed(full.median() * 1e3, 1),
                            Section.times(full.median() / truncated.median())));
                    Map<String, Object> entry = new LinkedHashMap<>();
                    entry.put("targets", targets);
                    entry.put("rank", rank);
                    entry.put("layers", slots.size());
                    entry.put("wrap", wrap.toMillisJson());
                    entry.put("decompose_truncated", truncated.toMillisJson());
                    entry.put("decompose_full", full.toMillisJson());
                    entry.put("full_over_truncated", full.median() / truncated.median());
                    json.add(entry);
                }
            }
        }
        return new Section("init", "Initialisation (LoLDU on " + workload.model().id() + ")",
                List.of("targets", "r", "layers", "wrap ms", "truncated LU ms", "full LU ms", "full/truncated"), rows,
                json, List.of("wrap = Peft.wrap (weights out of the engine, truncated LU, W_res GEMM, tensors in); "
                        + "LU = LduDecomposition alone, summed over the targeted layers; full = rank min(m, n)"));
    }

    private static List<LinearSlot> targeted(SequenceClassifier classifier, MethodCase method) {
        List<LinearSlot> slots = new ArrayList<>();
        for (LinearSlot slot : classifier.linearLayers().values()) {
            boolean head = classifier.headModules().contains(slot.name());
            if (method.config().targetModules().matches(slot.name(), head)) {
                slots.add(slot);
            }
        }
        return slots;
    }

    private static void decompose(List<LinearSlot> slots, List<float[]> weights, int rank) {
        for (int i = 0; i < slots.size(); i++) {
            LinearSlot slot = slots.get(i);
            int m = (int) slot.outFeatures();
            int n = (int) slot.inFeatures();
            LduDecomposition.truncated(slot.name(), weights.get(i), m, n, Math.min(rank, Math.min(m, n)));
        }
    }

    /** Wrap timed, unload (which restores the model exactly) not. */
    private static Samples timeWrap(BenchOptions options, SequenceClassifier classifier, MethodCase method) {
        double[] seconds = new double[options.repetitions()];
        for (int i = -options.warmup(); i < options.repetitions(); i++) {
            long start = System.nanoTime();
            PeftModel peft = Peft.wrap(classifier, method.config());
            long elapsed = System.nanoTime() - start;
            peft.unload();
            if (i >= 0) {
                seconds[i] = elapsed / 1e9;
            }
        }
        return new Samples(seconds);
    }
}
