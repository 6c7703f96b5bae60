package dev.peft4j.bench.jmh;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.method.loldu.LolduConfig;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One linear layer of MiniLM on a batch of 32 x 128 tokens, forward only: the plain fused linear, the slot with a
 * LoLDU adapter unmerged ({@code W_res x + Lp((sigma z) ⊙ (U' x)) + b}: two extra thin GEMMs, a scale and an add),
 * and merged (one GEMM on {@code W_eff}). Unmerged minus plain is the adapter's forward cost per layer; merged minus
 * plain should be zero.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(1)
public class LolduForwardJmh {

    /** [out, in] of MiniLM's linears: q/k/v/attention output, intermediate, output. */
    @Param({"384x384", "1536x384", "384x1536"})
    public String shape;

    @Param({"64"})
    public int rank;

    private NDManager manager;
    private NDArray x; // [tokens, n]
    private LinearSlot plain;
    private LinearSlot unmerged;
    private LinearSlot merged;

    @Setup(Level.Trial)
    public void setUp() {
        String[] sides = shape.split("x");
        int m = Integer.parseInt(sides[0]);
        int n = Integer.parseInt(sides[1]);
        manager = NDManager.newBaseManager();
        x = manager.randomNormal(new Shape(32 * 128, n));
        plain = new OneLinearModel(manager, m, n).slot();
        unmerged = adapted(m, n, false);
        merged = adapted(m, n, true);
    }

    private LinearSlot adapted(int m, int n, boolean merge) {
        OneLinearModel model = new OneLinearModel(manager, m, n);
        PeftModel peft = Peft.wrap(model, LolduConfig.builder().setRank(rank).optAlpha(rank)
                .optTargetModules(OneLinearModel.NAME).build());
        if (merge) {
            peft.merge();
        }
        return model.slot();
    }

    @Benchmark
    public float[] plainLinear() {
        return run(plain);
    }

    @Benchmark
    public float[] lolduUnmerged() {
        return run(unmerged);
    }

    @Benchmark
    public float[] lolduMerged() {
        return run(merged);
    }

    /** Forward in a per-call manager (as a training step does), reading one value so the work cannot be skipped. */
    private float[] run(LinearSlot slot) {
        try (NDManager step = manager.newSubManager()) {
            NDArray input = x.duplicate();
            input.attach(step);
            return slot.forward(input).get(0, 0).toFloatArray();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }
}
