package dev.peft4j.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * One tensor as safetensors stores it: a dtype name ({@code "F32"}, {@code "I64"}, ...), a shape
 * and the raw little-endian, C-ordered bytes. Kept free of DJL so that the format code can be
 * tested alone; the caller turns it into an NDArray.
 *
 * <p>A read tensor's {@code data} is a slice of the memory-mapped file, so reading a multi-GiB
 * checkpoint copies nothing until {@link #asFloats()} or the NDArray conversion asks for it.
 * The constructor checks that the byte count equals {@code elementCount() * dtype size}.
 *
 * @param dtype safetensors dtype name, e.g. {@code F32}
 * @param shape dimensions, outermost first; {@code []} is a scalar with one element
 * @param data exactly the tensor's bytes, little-endian
 */
public record TensorData(String dtype, long[] shape, ByteBuffer data) {

    /** The dtypes of Python's safetensors, in its order of increasing alignment (the writer sorts by it). */
    enum Dtype {
        BOOL(1), U8(1), I8(1), F8_E5M2(1), F8_E4M3(1), I16(2), U16(2), F16(2), BF16(2),
        I32(4), U32(4), F32(4), F64(8), I64(8), U64(8);

        final int bytes;

        Dtype(int bytes) {
            this.bytes = bytes;
        }

        /** The dtype of that name, or null when safetensors has no such dtype (or peft4j cannot size it). */
        static Dtype of(String name) {
            for (Dtype d : values()) {
                if (d.name().equals(name)) {
                    return d;
                }
            }
            return null;
        }

        static String names() {
            return Arrays.toString(values());
        }
    }

    public TensorData {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(data, "data");
        Dtype type = Dtype.of(dtype);
        if (type == null) {
            throw new IllegalArgumentException("Unknown safetensors dtype \"" + dtype + "\"; expected one of "
                    + Dtype.names());
        }
        shape = shape.clone();
        long count = count(shape);
        long expectedBytes = Math.multiplyExact(count, (long) type.bytes);
        if (data.remaining() != expectedBytes) {
            throw new IllegalArgumentException("Tensor " + dtype + Arrays.toString(shape) + " needs " + expectedBytes
                    + " bytes (" + count + " x " + type.bytes + ") but the buffer has " + data.remaining());
        }
        data = data.slice().asReadOnlyBuffer();
    }

    /** A F32 tensor holding a copy of {@code values} (row-major). */
    public static TensorData ofFloats(long[] shape, float[] values) {
        checkCount(shape, values.length);
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(values.length, Float.BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return new TensorData("F32", shape, bytes);
    }

    /**
     * A tensor of the floating-point {@code dtype} ({@code F32}, {@code F16}, {@code BF16} or {@code F64}) holding
     * {@code values} (row-major), each rounded to the nearest value of that dtype, ties to even, as PyTorch's
     * {@code tensor.to(dtype)} rounds; so a checkpoint saved in half precision has the bits Python would write.
     * Values beyond the dtype's range become infinities (F16 from 65520 on), NaN stays a (quiet) NaN; callers that
     * must not write non-finite values check the result with {@link #firstNonFinite} on {@link #asFloats()}.
     */
    public static TensorData ofFloats(String dtype, long[] shape, float[] values) {
        Objects.requireNonNull(dtype, "dtype");
        checkCount(shape, values.length);
        Dtype type = Dtype.of(dtype);
        if (type != Dtype.F32 && type != Dtype.F16 && type != Dtype.BF16 && type != Dtype.F64) {
            throw new IllegalArgumentException("ofFloats encodes F32, F16, BF16 or F64, not \"" + dtype
                    + "\"; use ofLongs for integer tensors");
        }
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(values.length, type.bytes))
                .order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> bytes.asFloatBuffer().put(values);
            case F64 -> {
                DoubleBuffer doubles = bytes.asDoubleBuffer();
                for (float v : values) {
                    doubles.put(v);
                }
            }
            case F16 -> {
                ShortBuffer halves = bytes.asShortBuffer();
                for (float v : values) {
                    halves.put(floatToHalf(v));
                }
            }
            default -> {
                ShortBuffer halves = bytes.asShortBuffer();
                for (float v : values) {
                    halves.put(floatToBfloat16(v));
                }
            }
        }
        return new TensorData(dtype, shape, bytes);
    }

    /** An I64 tensor holding a copy of {@code values} (row-major). */
    public static TensorData ofLongs(long[] shape, long[] values) {
        checkCount(shape, values.length);
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(values.length, Long.BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(values);
        return new TensorData("I64", shape, bytes);
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A fresh read-only little-endian view of the bytes at position 0, so callers cannot disturb each other. */
    @Override
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Product of the shape; 1 for a scalar. */
    public long elementCount() {
        return count(shape);
    }

    /**
     * The values as floats: F32 as stored, F16 and BF16 widened exactly, F64 rounded to the nearest
     * float (peft4j computes in fp32).
     */
    public float[] asFloats() {
        int n = arrayLength();
        float[] out = new float[n];
        ByteBuffer in = data();
        switch (Dtype.valueOf(dtype)) {
            case F32 -> in.asFloatBuffer().get(out);
            case F64 -> {
                DoubleBuffer doubles = in.asDoubleBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = (float) doubles.get(i);
                }
            }
            case F16 -> {
                ShortBuffer halves = in.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = halfToFloat(halves.get(i));
                }
            }
            case BF16 -> {
                ShortBuffer halves = in.asShortBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((halves.get(i) & 0xFFFF) << 16); // bf16 = top half of a float
                }
            }
            default -> throw wrongConversion("asFloats()", "F32, F64, F16, BF16", "asLongs() or asBytes()");
        }
        return out;
    }

    /** The values as longs: I64 as stored, I32 widened. */
    public long[] asLongs() {
        int n = arrayLength();
        long[] out = new long[n];
        ByteBuffer in = data();
        switch (Dtype.valueOf(dtype)) {
            case I64 -> in.asLongBuffer().get(out);
            case I32 -> {
                IntBuffer ints = in.asIntBuffer();
                for (int i = 0; i < n; i++) {
                    out[i] = ints.get(i);
                }
            }
            default -> throw wrongConversion("asLongs()", "I64, I32", "asFloats() or asBytes()");
        }
        return out;
    }

    /** A copy of the raw little-endian bytes, for any dtype (BOOL and U8 are read this way; also for hashing). */
    public byte[] asBytes() {
        ByteBuffer in = data();
        if (in.remaining() > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("Tensor of " + in.remaining() + " bytes does not fit a Java array; "
                    + "read it through data() instead");
        }
        byte[] out = new byte[in.remaining()];
        in.get(out);
        return out;
    }

    /** Index of the first NaN or infinite value, or -1 if all are finite; loaders reject a diverged adapter with it. */
    public static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }

    /** IEEE 754 binary16 to float; exact, since every half is a float. (Float.float16ToFloat is Java 20+.) */
    static float halfToFloat(short bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13)); // inf or NaN, payload kept
        }
        if (exponent == 0) {
            float magnitude = mantissa * 0x1p-24f; // subnormal: mantissa x 2^-24, exact in float
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13)); // rebias 15 -> 127
    }

    /**
     * Float to IEEE 754 binary16, rounded to nearest, ties to even: magnitudes from 65520 on become infinity,
     * those below 2^-24 / 2 become (signed) zero, NaN becomes a quiet NaN keeping the top payload bits. Written out
     * because Java 17 has no {@code Float.floatToFloat16} (it came in Java 20); tested against every half value.
     */
    static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7FFFFFFF;
        if (magnitude > 0x7F800000) {
            return (short) (sign | 0x7E00 | ((magnitude >>> 13) & 0x3FF)); // NaN, quiet bit set
        }
        if (magnitude >= 0x477FF000) {
            return (short) (sign | 0x7C00); // 65520 and above (and infinity) round to infinity
        }
        if (magnitude >= 0x38800000) {
            // normal half: rebias the exponent 127 -> 15, then drop 13 mantissa bits rounding half to even;
            // a carry out of the mantissa correctly bumps the exponent
            int rebiased = magnitude - 0x38000000;
            return (short) (sign | ((rebiased + 0xFFF + ((rebiased >>> 13) & 1)) >>> 13));
        }
        // subnormal half (or zero): the value is m x 2^-24; scaling by 2^24 is exact in float, rint ties to even;
        // m = 1024 is the smallest normal half, whose bits are exactly 0x0400
        int m = (int) Math.rint(Float.intBitsToFloat(magnitude) * 0x1p24f);
        return (short) (sign | m);
    }

    /** Float to bfloat16 (the top 16 bits), rounded to nearest, ties to even; NaN becomes a quiet NaN. */
    static short floatToBfloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorData t && dtype.equals(t.dtype) && Arrays.equals(shape, t.shape)
                && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + data.hashCode();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "TensorData[%s %s, %d bytes]", dtype, Arrays.toString(shape),
                data.remaining());
    }

    private int arrayLength() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("Tensor " + this + " has " + n + " elements, more than a Java array "
                    + "holds; read it through data() instead");
        }
        return (int) n;
    }

    private IllegalStateException wrongConversion(String method, String accepted, String instead) {
        return new IllegalStateException(method + " reads " + accepted + " tensors but this one is " + dtype
                + "; use " + instead);
    }

    private static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("Negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static void checkCount(long[] shape, int values) {
        if (count(shape) != values) {
            throw new IllegalArgumentException("Shape " + Arrays.toString(shape) + " holds " + count(shape)
                    + " values but " + values + " were given");
        }
    }
}
