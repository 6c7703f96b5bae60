package dev.peft4j.bench;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The child JVM of {@link MemoryBench}: loads the model, runs a few inference batches or training steps of one case,
 * and prints its peak resident set ({@code VmHWM} of {@code /proc/self/status}) as {@code peak_rss_kib=N}. One
 * process per configuration, because a process's peak only ever grows: measured in one JVM, the second
 * configuration would inherit the first one's peak.
 *
 * <p>Arguments: {@code load|infer|train|wrap <model id> <batch> <seq> <steps> [case name]}; {@code wrap} attaches
 * the case's adapter, runs inference batches and also prints the resident set after them ({@code rss_kib=N}): what a
 * wrapped model keeps, against {@code infer} for the plain one.
 */
public final class MemoryProbe {

    private MemoryProbe() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 5) {
            throw new IllegalArgumentException("MemoryProbe needs: load|infer|train <model id> <batch> <seq> <steps> "
                    + "[training case name], found " + args.length + " arguments");
        }
        String kind = args[0];
        int batch = Integer.parseInt(args[2]);
        int seq = Integer.parseInt(args[3]);
        int steps = Integer.parseInt(args[4]);
        Workload workload = Workload.load(PretrainedModel.fromId(args[1]), ArtifactCache.defaultCache(), batch, seq);
        try (NDManager manager = NDManager.newBaseManager()) {
            switch (kind) {
                case "load" -> workload.classifier(manager);
                case "infer" -> infer(workload, manager, steps);
                case "train" -> train(workload, manager, steps, args[5]);
                case "wrap" -> wrapAndInfer(workload, manager, steps, args[5]);
                default -> throw new IllegalArgumentException("MemoryProbe kind must be load, infer, train or wrap, "
                        + "found '" + kind + "'");
            }
            System.gc();
            System.out.println("rss_kib=" + statusKib("VmRSS"));
            System.out.println("peak_rss_kib=" + statusKib("VmHWM"));
        }
    }

    private static void infer(Workload workload, NDManager manager, int steps) {
        SequenceClassifier classifier = workload.classifier(manager);
        for (int i = 0; i < steps; i++) {
            try (NDManager step = classifier.manager().newSubManager()) {
                classifier.forward(workload.ids(step), workload.mask(step), null, false).toFloatArray();
            }
        }
    }

    private static void wrapAndInfer(Workload workload, NDManager manager, int steps, String caseName) {
        PeftModel peft = workload.wrap(trainingCase(workload, caseName), manager);
        SequenceClassifier classifier = (SequenceClassifier) peft.model();
        for (int i = 0; i < steps; i++) {
            try (NDManager step = classifier.manager().newSubManager()) {
                classifier.forward(workload.ids(step), workload.mask(step), null, false).toFloatArray();
            }
        }
    }

    private static MethodCase trainingCase(Workload workload, String caseName) {
        return MethodCase.trainingCases(workload.fullRank()).stream()
                .filter(c -> c.name().equals(caseName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No training case named '" + caseName + "'"));
    }

    private static void train(Workload workload, NDManager manager, int steps, String caseName) {
        PeftModel peft = workload.wrap(trainingCase(workload, caseName), manager);
        try (TrainingStep step = new TrainingStep(peft, workload)) {
            for (int i = 0; i < steps; i++) {
                step.run();
            }
        }
    }

    /** A {@code kB} field of {@code /proc/self/status} (Linux), e.g. VmHWM, the peak resident set; -1 elsewhere. */
    static long statusKib(String field) throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return -1;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
            }
        }
        return -1;
    }
}
