package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TensorDataTest {

    @Test
    void factoriesCheckTheShape() {
        TensorData t = TensorData.ofFloats(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
        assertEquals(6, t.elementCount());
        assertEquals(24, t.data().remaining());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorData.ofFloats(new long[] {2, 3}, new float[5]));
        assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TensorData.ofLongs(new long[] {-1}, new long[0]));
        assertThrows(IllegalArgumentException.class,
                () -> new TensorData("F32", new long[] {2}, ByteBuffer.allocate(7)));
        assertThrows(IllegalArgumentException.class,
                () -> new TensorData("Q4_K", new long[] {2}, ByteBuffer.allocate(8)));
    }

    @Test
    void isImmutableFromOutside() {
        long[] shape = {2};
        float[] values = {1, 2};
        TensorData t = TensorData.ofFloats(shape, values);
        shape[0] = 99;
        values[0] = 99;
        t.shape()[0] = 77;
        t.data().position(4);
        assertArrayEquals(new long[] {2}, t.shape());
        assertArrayEquals(new float[] {1, 2}, t.asFloats());
        assertEquals(t, TensorData.ofFloats(new long[] {2}, new float[] {1, 2}));
        assertNotEquals(t, TensorData.ofFloats(new long[] {1, 2}, new float[] {1, 2}));
        assertNotEquals(t, TensorData.ofFloats(new long[] {2}, new float[] {1, 3}));
    }

    @Test
    void firstNonFiniteFindsNanAndInfinity() {
        assertEquals(-1, TensorData.firstNonFinite(new float[] {0, -1, Float.MAX_VALUE, Float.MIN_VALUE}));
        assertEquals(2, TensorData.firstNonFinite(new float[] {0, 1, Float.NaN, Float.POSITIVE_INFINITY}));
        assertEquals(0, TensorData.firstNonFinite(new float[] {Float.NEGATIVE_INFINITY}));
        assertEquals(-1, TensorData.firstNonFinite(new float[0]));
    }

    /** All 65,536 halves against the IEEE 754 definition, computed independently in double. */
    @Test
    void halfToFloatMatchesTheDefinitionForEveryValue() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            int sign = bits >> 15;
            int exponent = (bits >> 10) & 0x1F;
            int mantissa = bits & 0x3FF;
            double magnitude;
            if (exponent == 0x1F) {
                magnitude = mantissa == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
            } else if (exponent == 0) {
                magnitude = Math.scalb((double) mantissa, -24);
            } else {
                magnitude = Math.scalb(1.0 + mantissa / 1024.0, exponent - 15);
            }
            float expected = (float) (sign == 1 ? -magnitude : magnitude);
            float actual = TensorData.halfToFloat((short) bits);
            if (Double.isNaN(magnitude)) {
                assertTrue(Float.isNaN(actual), "bits " + Integer.toHexString(bits));
            } else {
                assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(actual),
                        "bits " + Integer.toHexString(bits));
            }
        }
    }

    /** Every half survives half -> float -> half bit for bit (floats hold every half exactly); NaN stays NaN. */
    @Test
    void floatToHalfInvertsHalfToFloatForEveryValue() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float f = TensorData.halfToFloat((short) bits);
            short back = TensorData.floatToHalf(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(TensorData.halfToFloat(back)), "bits " + Integer.toHexString(bits));
            } else {
                assertEquals((short) bits, back, "bits " + Integer.toHexString(bits));
            }
        }
    }

    /** Same for bfloat16, whose value is the top half of a float. */
    @Test
    void floatToBfloat16InvertsTheWideningForEveryValue() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float f = Float.intBitsToFloat(bits << 16);
            short back = TensorData.floatToBfloat16(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(Float.intBitsToFloat((back & 0xFFFF) << 16)));
            } else {
                assertEquals((short) bits, back, "bits " + Integer.toHexString(bits));
            }
        }
    }

    /**
     * Round to nearest, ties to even, checked against the definition: no neighbouring half is closer (differences
     * are exact in double), and on a tie the chosen one has an even mantissa. Random floats of every exponent the
     * half range touches, plus the halfway points between consecutive halves, which are the ties.
     */
    @Test
    void floatToHalfRoundsToNearestTiesToEven() {
        Random random = new Random(7);
        for (int i = 0; i < 200_000; i++) {
            float x = Math.scalb(1f + random.nextFloat(), random.nextInt(46) - 30) * (random.nextBoolean() ? 1 : -1);
            if (Math.abs(x) >= 65520f) {
                continue; // rounds to infinity, checked in floatToHalfHandlesRangeEdges
            }
            assertNearest(x, TensorData.floatToHalf(x), v -> TensorData.halfToFloat((short) v));
        }
        for (int bits = 0; bits < 0x7BFF; bits++) { // every tie between two finite positive halves
            float tie = (float) ((TensorData.halfToFloat((short) bits)
                    + (double) TensorData.halfToFloat((short) (bits + 1))) / 2);
            short h = TensorData.floatToHalf(tie);
            assertEquals(0, h & 1, "tie " + tie + " must go to the even neighbour");
            assertTrue(h == bits || h == bits + 1, "tie " + tie);
            assertEquals((short) (h | 0x8000), TensorData.floatToHalf(-tie));
        }
    }

    @Test
    void floatToBfloat16RoundsToNearestTiesToEven() {
        Random random = new Random(8);
        for (int i = 0; i < 200_000; i++) {
            float x = Float.intBitsToFloat(random.nextInt());
            if (Float.isNaN(x) || Math.abs(x) > 0x1.fefffep127f) {
                continue;
            }
            assertNearest(x, TensorData.floatToBfloat16(x), b -> Float.intBitsToFloat((b & 0xFFFF) << 16));
        }
        assertEquals((short) 0x3F80, TensorData.floatToBfloat16(Float.intBitsToFloat(0x3F808000))); // tie, even below
        assertEquals((short) 0x3F82, TensorData.floatToBfloat16(Float.intBitsToFloat(0x3F818000))); // tie, even above
        assertEquals((short) 0x3F81, TensorData.floatToBfloat16(Float.intBitsToFloat(0x3F808001)));
    }

    @Test
    void floatToHalfHandlesRangeEdges() {
        assertEquals((short) 0x7BFF, TensorData.floatToHalf(65504f));
        assertEquals((short) 0x7BFF, TensorData.floatToHalf(Math.nextDown(65520f)));
        assertEquals((short) 0x7C00, TensorData.floatToHalf(65520f)); // the tie above the largest half: to infinity
        assertEquals((short) 0xFC00, TensorData.floatToHalf(-1e9f));
        assertEquals((short) 0x7C00, TensorData.floatToHalf(Float.POSITIVE_INFINITY));
        assertEquals((short) 0x0001, TensorData.floatToHalf(0x1p-24f)); // smallest subnormal
        assertEquals((short) 0x0000, TensorData.floatToHalf(0x1p-25f)); // tie between 0 and it: to even 0
        assertEquals((short) 0x0001, TensorData.floatToHalf(Math.nextUp(0x1p-25f)));
        assertEquals((short) 0x0002, TensorData.floatToHalf(3 * 0x1p-25f)); // tie between 1 and 2 ulps: to 2
        assertEquals((short) 0x0400, TensorData.floatToHalf(Math.nextDown(0x1p-14f))); // rounds up to the first normal
        assertEquals((short) 0x8000, TensorData.floatToHalf(-0f));
        assertEquals((short) 0x8000, TensorData.floatToHalf(-Float.MIN_VALUE));
        assertTrue(Float.isNaN(TensorData.halfToFloat(TensorData.floatToHalf(Float.NaN))));
        assertEquals((short) 0x7F80, TensorData.floatToBfloat16(Float.MAX_VALUE)); // rounds past the largest bf16
        assertTrue(Float.isNaN(Float.intBitsToFloat(TensorData.floatToBfloat16(Float.NaN) << 16)));
    }

    @Test
    void ofFloatsEncodesEachFloatingDtype() {
        long[] shape = {2, 2};
        float[] values = {1f, -0.1f, 3.14159f, 1e-3f};
        assertEquals(TensorData.ofFloats(shape, values), TensorData.ofFloats("F32", shape, values));
        assertArrayEquals(values, TensorData.ofFloats("F64", shape, values).asFloats());
        TensorData half = TensorData.ofFloats("F16", shape, values);
        assertEquals("F16", half.dtype());
        assertEquals(8, half.data().remaining());
        assertEquals((short) 0x3C00, half.data().getShort(0));
        assertEquals((short) 0xAE66, half.data().getShort(2)); // -0.1 as PyTorch writes it
        TensorData brain = TensorData.ofFloats("BF16", shape, values);
        assertEquals((short) 0x3F80, brain.data().getShort(0));
        assertEquals((short) 0xBDCD, brain.data().getShort(2)); // -0.1 as PyTorch writes it
        float[] h = half.asFloats();
        float[] b = brain.asFloats();
        for (int i = 0; i < values.length; i++) { // half an ulp: 2^-11 relative for F16, 2^-8 for BF16
            assertTrue(Math.abs(h[i] - values[i]) <= Math.abs(values[i]) * 0x1p-11f, "F16 " + values[i]);
            assertTrue(Math.abs(b[i] - values[i]) <= Math.abs(values[i]) * 0x1p-8f, "BF16 " + values[i]);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorData.ofFloats("I64", shape, values));
        assertTrue(e.getMessage().contains("I64"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TensorData.ofFloats("F16", new long[] {3}, values));
    }

    private static void assertNearest(float x, short h, java.util.function.IntFunction<Float> decode) {
        double chosen = Math.abs(x - (double) decode.apply(h));
        for (int step : new int[] {-1, 1}) {
            int neighbour = (h & 0xFFFF) + step;
            if ((neighbour & 0x7FFF) == 0x7FFF || neighbour < 0 || neighbour > 0xFFFF) {
                continue;
            }
            float n = decode.apply(neighbour);
            if (Float.isNaN(n) || ((neighbour ^ h) & 0x8000) != 0) {
                continue; // crossed into NaN or the other sign: not a neighbour on the number line
            }
            double other = Math.abs(x - (double) n);
            assertTrue(chosen <= other, "x " + x + " -> " + Integer.toHexString(h & 0xFFFF) + " but "
                    + Integer.toHexString(neighbour) + " is closer");
            if (chosen == other) {
                assertEquals(0, h & 1, "x " + x + " is a tie: the even neighbour wins");
            }
        }
    }
}
