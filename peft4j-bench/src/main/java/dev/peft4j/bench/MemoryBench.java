package dev.peft4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.PeftModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Memory: the peak resident set of one child JVM per configuration ({@link MemoryProbe}), reported against a child
 * that only loads the model; and, per method, the trainable tensors, the training state they imply (value, gradient
 * and AdamW's two moments: 16 bytes per parameter) and the size of the saved adapter directory (compact mode).
 */
final class MemoryBench {

    private static final int CHILD_STEPS = 3;
    private static final long CHILD_TIMEOUT_MINUTES = 10;

    private MemoryBench() {
    }

    static Section run(BenchOptions options, Workload workload, NDManager parent) throws IOException {
        List<List<String>> rows = new ArrayList<>();
        Map<String, Object> json = new LinkedHashMap<>();
        List<Object> peaks = new ArrayList<>();
        Map<String, Long> peakByName = new LinkedHashMap<>();
        long load = child(options, "load", null).peakKib();
        for (String[] probe : new String[][] {{"load", null}, {"infer", null}, {"train", MethodCase.FLOOR},
                {"train", "loldu r=64 q,v"}, {"train", "lora r=8 q,v"}, {"train", "full FT"}}) {
            long peak = probe[0].equals("load") ? load : child(options, probe[0], probe[1]).peakKib();
            String name = probe[1] == null ? probe[0] : probe[0] + " " + probe[1];
            rows.add(List.of(name, Section.bytes(peak * 1024), Section.bytes((peak - load) * 1024), "", "", ""));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("process", name);
            entry.put("peak_rss_bytes", peak * 1024);
            entry.put("over_load_bytes", (peak - load) * 1024);
            peaks.add(entry);
            peakByName.put(name, peak);
        }
        json.put("peak_rss", peaks);
        json.put("wrapped_resident", wrappedResident(options, rows));
        double trainOverInfer = (double) peakByName.get("train loldu r=64 q,v") / peakByName.get("infer");
        json.put("loldu_train_over_inference_peak", trainOverInfer);
        List<Object> states = new ArrayList<>();
        for (MethodCase method : List.of(MethodCase.loldu(64, "64", false), MethodCase.loldu(64, "64", true),
                MethodCase.loldu(workload.fullRank(), "full", true), MethodCase.loraQv(8), MethodCase.fullFineTune())) {
            Map<String, Object> entry = state(method, workload, parent);
            states.add(entry);
            rows.add(List.of(method.name(), "", "", String.format(java.util.Locale.ROOT, "%,d", entry.get("adapter_params")),
                    Section.bytes((long) entry.get("training_state_bytes")),
                    Section.bytes((long) entry.get("adapter_dir_bytes"))));
        }
        json.put("trainable_state", states);
        return new Section("memory", "Memory (batch " + options.batch() + ", seq " + options.seq() + ")",
                List.of("configuration", "peak RSS", "over load", "adapter params", "train state", "adapter file"),
                rows, json, List.of(
                        "peak RSS = VmHWM of a child JVM per row (" + CHILD_STEPS + " batches or steps); load = model "
                                + "read and copied to the engine, nothing run",
                        "LoLDU r=64 q,v training peak / inference peak = " + Section.times(trainOverInfer),
                        "train state = (adapter + head params) x 16 B (value, gradient, 2 AdamW moments); adapter "
                                + "file = saved directory, compact mode, head included"));
    }

    /**
     * The resident set after inference batches, plain and wrapped with LoLDU on all linear layers (r = 64 and full
     * rank): what attaching the adapters keeps in memory. Rows go to the table, the figures to the JSON.
     */
    private static List<Object> wrappedResident(BenchOptions options, List<List<String>> rows) throws IOException {
        List<Object> entries = new ArrayList<>();
        long plain = child(options, "infer", null).residentKib();
        rows.add(List.of("resident: plain model", Section.bytes(plain * 1024), "", "", "", ""));
        for (String caseName : List.of("loldu r=64 all", "loldu r=full all")) {
            long resident = child(options, "wrap", caseName).residentKib();
            rows.add(List.of("resident: " + caseName, Section.bytes(resident * 1024),
                    Section.bytes((resident - plain) * 1024) + " over plain", "", "", ""));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("case", caseName);
            entry.put("resident_bytes", resident * 1024);
            entry.put("plain_resident_bytes", plain * 1024);
            entry.put("over_plain_bytes", (resident - plain) * 1024);
            entries.add(entry);
        }
        return entries;
    }

    private static Map<String, Object> state(MethodCase method, Workload workload, NDManager parent) throws IOException {
        try (NDManager manager = parent.newSubManager()) {
            PeftModel peft = workload.wrap(method, manager);
            long adapter = count(peft.adapterParameters());
            long head = count(peft.headParameters());
            Path dir = Files.createTempDirectory("peft4j-bench-adapter");
            try {
                peft.save(dir);
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("method", method.name());
                entry.put("adapter_params", adapter);
                entry.put("head_params", head);
                entry.put("adapter_bytes", adapter * Float.BYTES);
                entry.put("training_state_bytes", (adapter + head) * 4L * Float.BYTES);
                entry.put("adapter_dir_bytes", directoryBytes(dir));
                return entry;
            } finally {
                deleteTree(dir);
            }
        }
    }

    private static long count(Map<String, NDArray> tensors) {
        return tensors.values().stream().mapToLong(t -> t.getShape().size()).sum();
    }

    /** What one child JVM reported: its peak and its final resident set, in KiB. */
    private record Probe(long peakKib, long residentKib) {
    }

    /** Runs {@link MemoryProbe} in a child JVM with this JVM's class path and returns what it measured. */
    private static Probe child(BenchOptions options, String kind, String caseName) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-Dai.djl.offline=true", "-Dpeft4j.home=" + options.cache().root(),
                "-cp", System.getProperty("java.class.path"), MemoryProbe.class.getName(), kind,
                options.model().id(), String.valueOf(options.batch()), String.valueOf(options.seq()),
                String.valueOf(CHILD_STEPS)));
        if (caseName != null) {
            command.add(caseName);
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(CHILD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IOException("Memory probe '" + kind + " " + caseName + "' ran over " + CHILD_TIMEOUT_MINUTES
                        + " minutes; run it alone with MemoryProbe to see why");
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while waiting for the memory probe", e);
        }
        long peak = -1;
        long resident = -1;
        for (String line : output.split("\n")) {
            if (line.startsWith("peak_rss_kib=")) {
                peak = Long.parseLong(line.substring("peak_rss_kib=".length()).trim());
            } else if (line.startsWith("rss_kib=")) {
                resident = Long.parseLong(line.substring("rss_kib=".length()).trim());
            }
        }
        if (peak >= 0) {
            return new Probe(peak, resident);
        }
        throw new IOException("Memory probe '" + kind + (caseName == null ? "" : " " + caseName) + "' exited with "
                + process.exitValue() + " and printed no peak_rss_kib line; its output:\n" + output);
    }

    private static long directoryBytes(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
