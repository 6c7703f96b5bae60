package dev.peft4j.bench.jmh;

import dev.peft4j.core.decomp.LduDecomposition;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The truncated LDU decomposition of a 768 x 768 Gaussian weight (BERT-Base's attention size) at r = 8, 64 and 256,
 * and the full LU (r = 768) it replaces. Left-looking elimination costs about {@code sum_j (m + n - 2j) j} flops, so the
 * time should grow roughly with r^2 for small r.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(1)
public class TruncatedLuJmh {

    private static final int SIZE = 768;

    @Param({"8", "64", "256", "768"})
    public int rank;

    private float[] weight;

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(42);
        weight = new float[SIZE * SIZE];
        for (int i = 0; i < weight.length; i++) {
            weight[i] = (float) random.nextGaussian() * 0.02f;
        }
    }

    @Benchmark
    public float[] truncated() {
        return LduDecomposition.truncated("jmh", weight, SIZE, SIZE, rank).pivots();
    }
}
