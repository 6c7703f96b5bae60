package dev.peft4j.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
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
}
