package dev.peft4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.nd.Tensors;
import dev.peft4j.models.bert.SequenceClassifier;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What one base model costs to serve to many tenants at once: rows per second of one batched forward whose rows
 * belong to 1 ... 10,000 distinct adapters, against the base alone on the same batch, against peft's per-adapter loop
 * (each adapter on the sub-batch of its rows, {@link AdapterSelection#perAdapterLoop}) and against swapping merged
 * weights per request (merge, forward the request's rows, unmerge); then the memory each resident adapter takes.
 *
 * <p>Each family (LoLDU r = 64 on q,v; LoRA r = 8 on q,v, the paper's settings) lives on one model copy holding all
 * its adapters, each with its own classification head as a tenant's adapter has, installed as a server installs
 * them (strict loads of adapter directories, frozen for inference; see {@link Family#grow}). Texts are short (the
 * classification requests a server sees), {@value #SEQ} tokens. A batch holds at least {@value #ROWS} rows and one
 * row per adapter at most counts: with N adapters row i uses adapter i mod N, so every adapter of the batch is
 * distinct when N equals the rows. The merged-swap strategy's requests are independent, so it is timed on a
 * sample of {@value #SWAP_SAMPLE} requests and reported per row.
 */
final class ServeBench {

    static final int[] ADAPTER_COUNTS = {1, 10, 100, 1_000, 10_000};
    static final int SEQ = 16;
    static final int ROWS = 1_000;
    static final int SWAP_SAMPLE = 16;
    /** Distinct adapter directories each family installs over and over under new names. */
    static final int VARIANTS = 8;
    /** Resident LoLDU adapters the memory check goes up to (the 100,000). */
    static final int RESIDENT = 100_000;
    static final double SHARE_TARGET = 0.90;
    static final double LOOP_TARGET = 5.0;

    private final BenchOptions options;
    private final NDManager parent;
    private final PrintStream log;

    private ServeBench(BenchOptions options, NDManager parent, PrintStream log) {
        this.options = options;
        this.parent = parent;
        this.log = log;
    }

    /** The figures of one adapter count. */
    record Row(int adapters, int rows, double base, double batched, double loop, double swap, double loraGrouped,
            double loraSwap, double maxLoopDifference) {
    }

    /** Memory of resident adapters, measured by adding them to a loaded model. */
    record Resident(String family, int adapters, long heapBytes, long rssBytes, double secondsToAdd, long rssTotal) {

        double heapPerAdapter() {
            return (double) heapBytes / adapters;
        }

        double rssPerAdapter() {
            return (double) rssBytes / adapters;
        }
    }

    static ServeBench.Report run(BenchOptions options, NDManager parent, PrintStream log) {
        return new ServeBench(options, parent, log).measure();
    }

    /** The section and its targets. */
    record Report(Section section, List<Target> targets) {
    }

    private Report measure() {
        int maxAdapters = ADAPTER_COUNTS[ADAPTER_COUNTS.length - 1];
        Workload small = workload(ROWS);
        Workload large = workload(maxAdapters);
        List<Resident> memory = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        try (NDManager lolduManager = parent.newSubManager(); NDManager loraManager = parent.newSubManager()) {
            log.println("peft4j bench: serve: " + maxAdapters + " LoLDU and " + maxAdapters + " LoRA adapters");
            Family loldu = new Family("loldu", MethodCase.loldu(64, "64", false).config(), small, lolduManager);
            memory.addAll(loldu.grow(maxAdapters, new Random(1)));
            Family lora = new Family("lora", MethodCase.loraQv(8).config(), small, loraManager);
            memory.addAll(lora.grow(maxAdapters, new Random(2)));
            for (int adapters : ADAPTER_COUNTS) {
                Workload workload = adapters <= ROWS ? small : large;
                int reps = adapters <= ROWS ? options.repetitions() : 1; // a 10,000-row forward takes a minute
                int warmup = adapters <= ROWS ? options.warmup() : 0; // the kernels are warm by then
                // peft's loop and LoRA's grouping take many seconds per batch from 100 adapters on: timed once,
                // a run that long is not moved much by the noise the medians guard against
                int groupedReps = adapters < 100 ? reps : 1;
                int groupedWarmup = adapters < 100 ? warmup : 0;
                log.println("peft4j bench: serve: " + adapters + " distinct adapters in a batch of "
                        + workload.batch() + " rows");
                AdapterSelection names = loldu.selection(adapters, workload.batch());
                AdapterSelection loraNames = lora.selection(adapters, workload.batch());
                // base and batched interleaved, rotating which runs first, so that another process's load falls
                // on both alike; the ratio between them is the figure the issue sets a target for
                List<Timed> paired = Timed.interleaved(warmup, reps, workload,
                        List.of(new Case(loldu, AdapterSelection.base()), new Case(loldu, names)));
                Timed base = paired.get(0);
                Timed batched = paired.get(1);
                List<Timed> grouped = Timed.interleaved(groupedWarmup, groupedReps, workload,
                        List.of(new Case(loldu, names.perAdapterLoop()), new Case(lora, loraNames)));
                Timed loop = grouped.get(0);
                Timed loraGrouped = grouped.get(1);
                double swap = loldu.mergedSwapRowsPerSecond(workload, adapters);
                double loraSwap = lora.mergedSwapRowsPerSecond(workload, adapters);
                Row row = new Row(adapters, workload.batch(), base.rowsPerSecond(), batched.rowsPerSecond(),
                        loop.rowsPerSecond(), swap, loraGrouped.rowsPerSecond(), loraSwap,
                        maxDifference(batched.logits(), loop.logits()));
                rows.add(row);
                log.println("peft4j bench: serve: " + row);
            }
            log.println("peft4j bench: serve: growing to " + RESIDENT + " resident LoLDU adapters");
            memory.add(loldu.grow(RESIDENT, new Random(3)).get(0));
            // the largest pool still serves: one batch of ROWS rows, each row another of the 100,000
            List<Timed> resident = Timed.interleaved(0, 1, small, List.of(new Case(loldu, AdapterSelection.base()),
                    new Case(loldu, loldu.spreadSelection(ROWS, RESIDENT))));
            loldu.deleteVariants();
            lora.deleteVariants();
            return report(rows, memory, resident.get(1).rowsPerSecond() / resident.get(0).rowsPerSecond());
        }
    }

    private Workload workload(int rows) {
        try {
            return Workload.load(options.model(), options.cache(), rows, SEQ);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load " + options.model().id() + ": " + e.getMessage(), e);
        }
    }

    /** One strategy: a family's model under a selection. */
    private record Case(Family family, AdapterSelection selection) {
    }

    /** Rows per second of one strategy (median over repetitions) and the logits of its last run. */
    private record Timed(double rowsPerSecond, float[] logits) {

        /** Times the cases in turn, {@code warmup} untimed rounds then {@code reps} timed ones, rotating the order. */
        static List<Timed> interleaved(int warmup, int reps, Workload workload, List<Case> cases) {
            double[][] seconds = new double[cases.size()][reps];
            float[][] last = new float[cases.size()][];
            for (int rep = -warmup; rep < reps; rep++) {
                for (int i = 0; i < cases.size(); i++) {
                    int c = Math.floorMod(i + rep, cases.size());
                    long start = System.nanoTime();
                    last[c] = cases.get(c).family().logits(workload, cases.get(c).selection());
                    if (rep >= 0) {
                        seconds[c][rep] = (System.nanoTime() - start) / 1e9;
                    }
                }
            }
            List<Timed> timed = new ArrayList<>();
            for (int c = 0; c < cases.size(); c++) {
                timed.add(new Timed(workload.batch() / new Samples(seconds[c]).median(), last[c]));
            }
            return timed;
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** One method's adapters on one model copy, named {@code <family>-<i>}. */
    private static final class Family {

        private final String name;
        private final AdapterConfig config;
        private final Workload workload;
        private final SequenceClassifier classifier;
        private final List<Path> variants = new ArrayList<>();
        private PeftModel peft;
        private int size;

        Family(String name, AdapterConfig config, Workload workload, NDManager manager) {
            this.name = name;
            this.config = config;
            this.workload = workload;
            this.classifier = workload.classifier(manager);
        }

        String adapter(int i) {
            return name + "-" + i;
        }

        /**
         * Installs adapters until there are {@code total}, as a server does: strict loads (manifest, fingerprints,
         * shapes, finiteness) of adapter directories, frozen for inference. The directories are {@value #VARIANTS}
         * adapters trained nowhere but moved off their init by seeded noise, so that rows of different variants
         * compute different things; adapter i loads variant i mod {@value #VARIANTS} under its own name. Returns the
         * memory the installs took at each count of {@link #ADAPTER_COUNTS} from 1,000 on passed on the way (and at
         * {@code total}), measured from the count before.
         */
        List<Resident> grow(int total, Random random) {
            if (variants.isEmpty()) {
                writeVariants(random); // before the baseline: it loads and frees a model copy
            }
            List<Resident> measured = new ArrayList<>();
            int from = size;
            long heapBefore = heapUsed();
            long rssBefore = rss();
            long start = System.nanoTime();
            while (size < total) {
                try {
                    peft.loadAdapter(variants.get(size % VARIANTS), adapter(size), false);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot load adapter variant " + size % VARIANTS, e);
                }
                size++;
                if (size == total || (isCount(size) && size >= 1_000)) {
                    double seconds = (System.nanoTime() - start) / 1e9;
                    long rssNow = rss();
                    measured.add(new Resident(name, size - from, heapUsed() - heapBefore, rssNow - rssBefore,
                            seconds, rssNow));
                }
            }
            return total == RESIDENT ? List.of(measured.get(measured.size() - 1)) : measured;
        }

        private void writeVariants(Random random) {
            try (NDManager scratch = classifier.manager().newSubManager()) {
                PeftModel source = Peft.wrap(workload.classifier(scratch), config);
                for (int k = 0; k < VARIANTS; k++) {
                    perturb(source, random);
                    Path dir = Files.createTempDirectory("peft4j-serve-bench-" + name);
                    source.save(dir);
                    variants.add(dir);
                }
                source.close();
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot write the adapter variants of " + name, e);
            }
            peft = Peft.empty(classifier);
        }

        void deleteVariants() {
            for (Path dir : variants) {
                try (var files = Files.walk(dir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(file -> file.toFile().delete());
                } catch (IOException e) {
                    // a temporary directory left behind is no reason to lose the measurements
                }
            }
        }

        private static boolean isCount(int n) {
            for (int count : ADAPTER_COUNTS) {
                if (count == n) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Moves the active adapter's own tensors further off their init: LoLDU's z by up to 10% of itself, LoRA's B
         * (zero at init) to noise of magnitude 0.01.
         */
        private static void perturb(PeftModel peft, Random random) {
            for (NDArray tensor : peft.adapterParameters().values()) {
                float[] values = tensor.toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    float u = random.nextFloat() - 0.5f;
                    values[i] = values[i] == 0 ? 0.02f * u : values[i] * (1 + 0.2f * u);
                }
                Tensors.overwrite(tensor, values);
            }
        }

        /** Row i on adapter i mod {@code adapters}: {@code min(adapters, rows)} distinct adapters in the batch. */
        AdapterSelection selection(int adapters, int rows) {
            List<String> names = new ArrayList<>(rows);
            for (int row = 0; row < rows; row++) {
                names.add(adapter(row % adapters));
            }
            return AdapterSelection.perRow(names);
        }

        /** {@code rows} distinct adapters spread evenly over the first {@code pool}. */
        AdapterSelection spreadSelection(int rows, int pool) {
            List<String> names = new ArrayList<>(rows);
            for (int row = 0; row < rows; row++) {
                names.add(adapter((int) ((long) row * pool / rows)));
            }
            return AdapterSelection.perRow(names);
        }

        float[] logits(Workload batch, AdapterSelection selection) {
            try (NDManager step = classifier.manager().newSubManager()) {
                return classifier.forward(batch.ids(step), batch.mask(step), null, false, selection).toFloatArray();
            }
        }

        /**
         * The serving strategy of a server without per-row adapters: per request, merge its adapter into the weights,
         * forward its rows, unmerge. With N adapters a batch of R rows is N requests of R / N rows; a sample of them is
         * timed (they are independent) and the rows they carry give the rate.
         */
        double mergedSwapRowsPerSecond(Workload batch, int adapters) {
            int requestRows = batch.batch() / adapters;
            int requests = Math.min(adapters, SWAP_SAMPLE);
            Runnable one = () -> swapAndForward(adapter(0), requestRows);
            one.run(); // warm-up: first merge of this shape
            long start = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                swapAndForward(adapter(i), requestRows);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            return (double) requests * requestRows / seconds;
        }

        private void swapAndForward(String adapterName, int rows) {
            peft.setAdapter(adapterName);
            peft.merge();
            try (NDManager step = classifier.manager().newSubManager()) {
                classifier.forward(workload.ids(step, rows), workload.mask(step, rows), null, false).toFloatArray();
            } finally {
                peft.unmerge();
            }
        }
    }

    private static long heapUsed() {
        Runtime runtime = Runtime.getRuntime();
        System.gc();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    private static long rss() {
        try {
            return MemoryProbe.statusKib("VmRSS") * 1024;
        } catch (IOException e) {
            return -1;
        }
    }

    private static Report report(List<Row> rows, List<Resident> memory, double residentShare) {
        List<List<String>> table = new ArrayList<>();
        List<Object> json = new ArrayList<>();
        List<Target> targets = new ArrayList<>();
        for (Row r : rows) {
            table.add(List.of(String.valueOf(r.adapters()), String.valueOf(r.rows()), Section.fixed(r.base(), 1),
                    Section.fixed(r.batched(), 1) + " (" + Section.percent(r.batched() / r.base()) + ")",
                    Section.fixed(r.loop(), 1), Section.times(r.batched() / r.loop()), Section.fixed(r.swap(), 1),
                    Section.fixed(r.loraGrouped(), 1) + " (" + Section.percent(r.loraGrouped() / r.base()) + ")",
                    Section.fixed(r.loraSwap(), 1)));
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("distinct_adapters", r.adapters());
            entry.put("rows", r.rows());
            entry.put("base_rows_per_s", r.base());
            entry.put("loldu_batched_rows_per_s", r.batched());
            entry.put("loldu_per_adapter_loop_rows_per_s", r.loop());
            entry.put("loldu_merged_swap_rows_per_s", r.swap());
            entry.put("lora_grouped_rows_per_s", r.loraGrouped());
            entry.put("lora_merged_swap_rows_per_s", r.loraSwap());
            entry.put("loldu_batched_over_base", r.batched() / r.base());
            entry.put("loldu_batched_over_loop", r.batched() / r.loop());
            entry.put("max_abs_logit_difference_batched_vs_loop", r.maxLoopDifference());
            json.add(entry);
            if (r.adapters() == 1_000) {
                targets.add(new Target("serve: LoLDU 1,000 adapters / base-only", r.batched() / r.base(),
                        SHARE_TARGET, true));
                targets.add(new Target("serve: LoLDU 1,000 adapters / per-adapter loop", r.batched() / r.loop(),
                        LOOP_TARGET, true));
            }
        }
        List<Object> memoryJson = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        notes.add("rows/s of one batched forward (MiniLM, " + SEQ + " tokens, a 2-label head per adapter); batched = "
                + "one gathered op per slot for all LoLDU rows, loop = peft's per-adapter sub-batches, swap = merge, "
                + "forward the request's rows, unmerge (" + SWAP_SAMPLE + " requests sampled); LoRA rows are grouped "
                + "per adapter (it has no shared factors)");
        for (Resident m : memory) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("family", m.family());
            entry.put("adapters_added", m.adapters());
            entry.put("heap_bytes", m.heapBytes());
            entry.put("rss_bytes", m.rssBytes());
            entry.put("heap_bytes_per_adapter", m.heapPerAdapter());
            entry.put("rss_bytes_per_adapter", m.rssPerAdapter());
            entry.put("seconds_to_install", m.secondsToAdd());
            entry.put("process_rss_bytes_after", m.rssTotal());
            memoryJson.add(entry);
            notes.add("memory: " + m.family() + " +" + m.adapters() + " adapters: heap "
                    + Section.bytes(m.heapBytes()) + " (" + Section.bytes((long) m.heapPerAdapter())
                    + " each), resident set +" + Section.bytes(m.rssBytes()) + " ("
                    + Section.bytes((long) m.rssPerAdapter()) + " each), installed in "
                    + Section.fixed(m.secondsToAdd(), 1) + " s ("
                    + Section.fixed(1e3 * m.secondsToAdd() / m.adapters(), 2) + " ms each, strict load from files); "
                    + "process resident set then " + Section.bytes(m.rssTotal()));
        }
        notes.add(RESIDENT + " LoLDU adapters resident: a batch of " + ROWS + " rows on " + ROWS
                + " distinct ones of them runs at " + Section.percent(residentShare) + " of base-only (one run each)");
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("seq", SEQ);
        all.put("throughput", json);
        all.put("memory", memoryJson);
        all.put("resident_adapters", RESIDENT);
        all.put("resident_batch_over_base", residentShare);
        Section section = new Section("serve", "Serving many adapters over one base (LoLDU r=64 q,v; LoRA r=8 q,v)",
                List.of("adapters", "rows", "base rows/s", "LoLDU batched", "LoLDU loop", "batched/loop",
                        "LoLDU swap", "LoRA grouped", "LoRA swap"), table, all, notes);
        return new Report(section, targets);
    }
}
