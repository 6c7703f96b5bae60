package dev.peft4j.core.nd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Inverted dropout (PyTorch's {@code dropout} in training: each element zeroed with probability {@code rate}, the rest
 * scaled by {@code 1 / (1 - rate)}) with the mask drawn in Java.
 *
 * <p>Why not the engine's: libtorch draws the mask with {@code bernoulli_}, which uses MKL's vectorised generator only
 * on Intel CPUs and elsewhere a serial loop over one generator: profiled on an AMD EPYC (2 cores), the 20 dropouts
 * of one MiniLM training step (batch 32 x 128 tokens) took 677 ms of a 3.1 s step, about 12 ns for each of their 58M elements. Here
 * the mask comes from the JDK's {@link SplittableRandom} in fixed chunks of 2^20 elements, filled in parallel (13-27
 * ms for one layer's 6.3M attention probabilities, against 90-130 ms for the engine's dropout of them), and
 * is applied as one multiplication by a float mask that holds 0 or the scale (a bool mask multiplied, or
 * {@code where}, ran 2-4 times slower forward and backward). It stays reproducible under the trainer's seeds: each
 * call draws its 64-bit seed from the engine's generator (one {@code randint}), so {@code Engine.setRandomSeed} fixes
 * every mask, on any number of threads (chunk c always uses the stream of {@code seed + c * golden ratio}).
 */
public final class DropoutMask {

    private static final int CHUNK = 1 << 20;
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final double TWO_TO_32 = 4294967296.0;
    // One direct buffer per thread, grown as needed and reused: the engine copies the mask out of it before the call
    // returns. A fresh buffer per call is freed only by a garbage collection: in one pair of runs, 123 MiB more peak
    // resident memory over a few MiniLM training steps (batch 32 x 128).
    private static final ThreadLocal<ByteBuffer> BUFFERS = new ThreadLocal<>();

    private DropoutMask() {
    }

    /** {@code x} with dropout at {@code rate} in [0, 1) (0: {@code x} itself); differentiable in {@code x}. */
    public static NDArray apply(NDArray x, float rate) {
        if (!(rate >= 0f && rate < 1f)) {
            throw new IllegalArgumentException("Dropout rate must be in [0, 1), found " + rate);
        }
        if (rate == 0f) {
            return x;
        }
        NDManager manager = x.getManager();
        try (NDArray mask = scaledMask(manager, x.getShape(), rate, engineSeed(manager))) {
            return x.mul(mask); // autograd keeps its own reference to the mask for the backward
        }
    }

    /**
     * A float tensor of {@code shape} holding {@code 1 / (1 - rate)} (kept, probability {@code 1 - rate}) or 0. An
     * element is dropped when 32 random bits, read as an unsigned number, are below {@code round(rate * 2^32)}: the
     * drop probability is {@code rate} to within 2^-33. The scale is the fp32 quotient torch's dropout uses.
     */
    static NDArray scaledMask(NDManager manager, Shape shape, float rate, long seed) {
        long size = shape.size();
        if (size > Integer.MAX_VALUE / Float.BYTES) {
            throw new IllegalArgumentException("Dropout over " + size + " elements exceeds one mask buffer (2^29)");
        }
        int n = (int) size;
        long threshold = Math.round(rate * TWO_TO_32);
        float scale = 1f / (1f - rate);
        ByteBuffer buffer = buffer(n * Float.BYTES);
        FloatBuffer floats = buffer.asFloatBuffer();
        int chunks = (n + CHUNK - 1) / CHUNK;
        IntStream.range(0, chunks).parallel().forEach(c -> {
            int start = c * CHUNK;
            int end = Math.min(start + CHUNK, n);
            SplittableRandom random = new SplittableRandom(seed + c * GOLDEN);
            int i = start;
            for (; i + 1 < end; i += 2) { // straight into the direct buffer: no array to fill and copy
                long bits = random.nextLong();
                floats.put(i, scale * kept(bits & 0xFFFFFFFFL, threshold));
                floats.put(i + 1, scale * kept(bits >>> 32, threshold));
            }
            if (i < end) {
                floats.put(i, scale * kept(random.nextLong() & 0xFFFFFFFFL, threshold));
            }
        });
        // create() wraps the direct buffer without a copy (from_blob); the copy is the engine's own memory, which
        // autograd may keep after the buffer is collected (see Scalars for what reading freed memory did)
        try (NDArray aliasing = manager.create(buffer, shape, DataType.FLOAT32)) {
            return aliasing.duplicate();
        }
    }

    /**
     * 1 when the 32 random bits {@code u} are at least {@code threshold}, else 0, without a branch: a kept element
     * is a coin flip, which a branch mispredicts one time in ten at rate 0.1 (both are below 2^32, so the sign of
     * their difference decides).
     */
    private static int kept(long u, long threshold) {
        return 1 - (int) ((u - threshold) >>> 63);
    }

    /** This thread's buffer, {@code bytes} long (a slice of a larger one when it fits). */
    private static ByteBuffer buffer(int bytes) {
        ByteBuffer buffer = BUFFERS.get();
        if (buffer == null || buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
            BUFFERS.set(buffer);
        }
        return buffer.slice(0, bytes).order(ByteOrder.nativeOrder());
    }

    private static long engineSeed(NDManager manager) {
        try (NDArray draw = manager.randomInteger(Long.MIN_VALUE, Long.MAX_VALUE, new Shape(1), DataType.INT64)) {
            return draw.toLongArray()[0];
        }
    }
}
