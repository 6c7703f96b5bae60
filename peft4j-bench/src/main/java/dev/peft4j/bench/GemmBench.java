package dev.peft4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.precision.Bf16Kernels;
import dev.peft4j.core.precision.Precision;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The compute ceiling every other figure is compared with, per precision: {@code [2048, 2048] x [2048, 2048]}
 * ({@code 2 n^3} FLOPs) through the engine's fp32 {@code matMul}, and in bf16 through the linear layer's own bf16
 * kernel ({@link Bf16Kernels#linear}, against a bf16 copy of the weight, input cast included: what a bf16 model
 * pays); and the cost of one tiny engine call (an add of two 1-element tensors), the per-op overhead (JNI crossing,
 * dispatch, allocation) that a model with many small ops pays. Where bf16 runs emulated (no bf16 units), libtorch's
 * native bf16 product is timed too, at 512 (it is that slow), to show why.
 */
final class GemmBench {

    static final int SIZE = 2048;
    private static final int NATIVE_PROBE_SIZE = 512;
    private static final int TINY_OPS = 1000;

    private final Map<Precision, Double> ceilings;
    private final Section section;

    private GemmBench(Map<Precision, Double> ceilings, Section section) {
        this.ceilings = ceilings;
        this.section = section;
    }

    static GemmBench run(BenchOptions options, NDManager parent) {
        try (NDManager manager = parent.newSubManager()) {
            NDArray a = manager.randomNormal(new Shape(SIZE, SIZE));
            NDArray b = manager.randomNormal(new Shape(SIZE, SIZE));
            double flops = 2.0 * SIZE * SIZE * SIZE;
            Map<Precision, Double> ceilings = new EnumMap<>(Precision.class);
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("matmul_size", SIZE);
            List<List<String>> rows = new ArrayList<>();
            for (Precision precision : options.precisions()) {
                Samples gemm;
                String op;
                if (precision == Precision.FP32) {
                    gemm = Samples.time(options.warmup(), options.repetitions(), () -> a.matMul(b).close());
                    op = "fp32 matMul " + SIZE + "^3";
                } else {
                    NDArray b16 = Bf16Kernels.toBf16(b);
                    gemm = Samples.time(options.warmup(), options.repetitions(),
                            () -> Bf16Kernels.linear(a, b16, null).close());
                    op = "bf16 linear " + SIZE + "^3 (" + Bf16Kernels.kernel().name().toLowerCase(Locale.ROOT) + ")";
                }
                double ceiling = flops / gemm.median() / 1e9;
                ceilings.put(precision, ceiling);
                json.put(precision.id(), Map.of("matmul", gemm.toMillisJson(), "ceiling_gflops", ceiling,
                        "kernel", precision == Precision.FP32 ? "fp32" : Bf16Kernels.kernel().name()));
                rows.add(List.of(op, Section.fixed(gemm.median() * 1e3, 1), Section.fixed(ceiling, 1),
                        "GFLOP/s (the " + precision.id() + " ceiling)"));
            }
            if (options.precisions().contains(Precision.BF16) && Bf16Kernels.kernel() == Bf16Kernels.Kernel.EMULATED) {
                double gflops = nativeBf16Probe(manager);
                json.put("bf16_native_probe_gflops", gflops);
                rows.add(List.of("bf16 native " + NATIVE_PROBE_SIZE + "^3 (no units)", "", Section.fixed(gflops, 1),
                        "why bf16 runs emulated on this CPU"));
            }
            NDArray x = manager.create(new float[] {1f});
            NDArray y = manager.create(new float[] {2f});
            Samples tiny = Samples.time(options.warmup(), options.repetitions(), () -> {
                for (int i = 0; i < TINY_OPS; i++) {
                    x.add(y).close();
                }
            });
            double opMicros = tiny.median() / TINY_OPS * 1e6;
            json.put("ceiling_gflops", ceilings.getOrDefault(Precision.FP32, Double.NaN)); // the fp32 key of before
            json.put("tiny_op_us", opMicros);
            rows.add(List.of("1-element add", Section.fixed(opMicros * 1e-3, 4), "",
                    Section.fixed(opMicros, 1) + " us per engine call"));
            Section section = new Section("gemm", "Compute ceiling", List.of("op", "median ms", "GFLOP/s", "note"),
                    rows, json, List.of(options.repetitions() + " repetitions after " + options.warmup()
                            + " warm-up; FLOPs = 2 n^3"));
            return new GemmBench(ceilings, section);
        }
    }

    /** libtorch's own bf16 product, forced, at a size it finishes in well under a second without bf16 units. */
    private static double nativeBf16Probe(NDManager manager) {
        String previous = System.getProperty(Bf16Kernels.KERNEL_PROPERTY);
        System.setProperty(Bf16Kernels.KERNEL_PROPERTY, "native");
        try {
            NDArray a = manager.randomNormal(new Shape(NATIVE_PROBE_SIZE, NATIVE_PROBE_SIZE));
            NDArray b16 = Bf16Kernels.toBf16(manager.randomNormal(new Shape(NATIVE_PROBE_SIZE, NATIVE_PROBE_SIZE)));
            Samples samples = Samples.time(1, 3, () -> Bf16Kernels.linear(a, b16, null).close());
            return 2.0 * NATIVE_PROBE_SIZE * NATIVE_PROBE_SIZE * NATIVE_PROBE_SIZE / samples.median() / 1e9;
        } finally {
            if (previous == null) {
                System.clearProperty(Bf16Kernels.KERNEL_PROPERTY);
            } else {
                System.setProperty(Bf16Kernels.KERNEL_PROPERTY, previous);
            }
        }
    }

    /** The GEMM ceiling in {@code precision}, GFLOP/s. */
    double ceilingGflops(Precision precision) {
        Double ceiling = ceilings.get(precision);
        if (ceiling == null) {
            throw new IllegalStateException("No " + precision.id() + " ceiling measured: " + ceilings.keySet());
        }
        return ceiling;
    }

    Section section() {
        return section;
    }
}
