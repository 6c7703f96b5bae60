package dev.peft4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The compute ceiling every other figure is compared with: fp32 {@code [2048, 2048] x [2048, 2048]} through the
 * engine's {@code matMul} ({@code 2 n^3} FLOPs), and the cost of one tiny engine call (an add of two 1-element
 * tensors), which is the per-op overhead (JNI crossing, dispatch, allocation) that a model with many small ops pays.
 */
final class GemmBench {

    static final int SIZE = 2048;
    private static final int TINY_OPS = 1000;

    private final double ceilingGflops;
    private final Section section;

    private GemmBench(double ceilingGflops, Section section) {
        this.ceilingGflops = ceilingGflops;
        this.section = section;
    }

    static GemmBench run(BenchOptions options, NDManager parent) {
        try (NDManager manager = parent.newSubManager()) {
            NDArray a = manager.randomNormal(new Shape(SIZE, SIZE));
            NDArray b = manager.randomNormal(new Shape(SIZE, SIZE));
            Samples gemm = Samples.time(options.warmup(), options.repetitions(), () -> a.matMul(b).close());
            double flops = 2.0 * SIZE * SIZE * SIZE;
            double ceiling = flops / gemm.median() / 1e9;
            NDArray x = manager.create(new float[] {1f});
            NDArray y = manager.create(new float[] {2f});
            Samples tiny = Samples.time(options.warmup(), options.repetitions(), () -> {
                for (int i = 0; i < TINY_OPS; i++) {
                    x.add(y).close();
                }
            });
            double opMicros = tiny.median() / TINY_OPS * 1e6;
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("matmul_size", SIZE);
            json.put("matmul", gemm.toMillisJson());
            json.put("ceiling_gflops", ceiling);
            json.put("tiny_op_us", opMicros);
            List<List<String>> rows = new ArrayList<>();
            rows.add(List.of("fp32 matMul " + SIZE + "^3", Section.fixed(gemm.median() * 1e3, 1),
                    Section.fixed(ceiling, 1), "GFLOP/s (the ceiling)"));
            rows.add(List.of("1-element add", Section.fixed(opMicros * 1e-3, 4), "",
                    Section.fixed(opMicros, 1) + " us per engine call"));
            Section section = new Section("gemm", "Compute ceiling", List.of("op", "median ms", "GFLOP/s", "note"),
                    rows, json, List.of(options.repetitions() + " repetitions after " + options.warmup()
                            + " warm-up; FLOPs = 2 n^3"));
            return new GemmBench(ceiling, section);
        }
    }

    double ceilingGflops() {
        return ceilingGflops;
    }

    Section section() {
        return section;
    }
}
