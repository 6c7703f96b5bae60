package dev.peft4j.core.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

/**
 * Seeded mutations of a valid file for fuzz tests: bit flips, truncations, byte insertions and deletions, and
 * length-like fields overwritten with boundary values (0, -1, huge, the file's own size), the edits that real
 * damage and hostile files make. Public so that the adapter-directory fuzz test shares it.
 */
public final class ByteMutator {

    private final Random rng;

    public ByteMutator(long seed) {
        this.rng = new Random(seed);
    }

    /** One to three random edits of a copy of {@code valid}. */
    public byte[] mutate(byte[] valid) {
        byte[] out = valid.clone();
        int edits = 1 + rng.nextInt(3);
        for (int i = 0; i < edits; i++) {
            out = edit(out);
        }
        return out;
    }

    private byte[] edit(byte[] in) {
        if (in.length == 0) {
            return randomBytes(1 + rng.nextInt(16));
        }
        switch (rng.nextInt(6)) {
            case 0 -> {
                byte[] out = in.clone();
                int flips = 1 + rng.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    int at = rng.nextInt(out.length);
                    out[at] ^= (byte) (1 << rng.nextInt(8));
                }
                return out;
            }
            case 1 -> {
                return Arrays.copyOf(in, rng.nextInt(in.length));
            }
            case 2 -> {
                int at = rng.nextInt(in.length + 1);
                byte[] extra = randomBytes(1 + rng.nextInt(16));
                byte[] out = new byte[in.length + extra.length];
                System.arraycopy(in, 0, out, 0, at);
                System.arraycopy(extra, 0, out, at, extra.length);
                System.arraycopy(in, at, out, at + extra.length, in.length - at);
                return out;
            }
            case 3 -> {
                int at = rng.nextInt(in.length);
                int length = Math.min(in.length - at, 1 + rng.nextInt(16));
                byte[] out = new byte[in.length - length];
                System.arraycopy(in, 0, out, 0, at);
                System.arraycopy(in, at + length, out, at, in.length - at - length);
                return out;
            }
            case 4 -> {
                return lengthField(in, rng.nextBoolean() ? 0 : rng.nextInt(Math.min(in.length, 64)));
            }
            default -> {
                byte[] out = in.clone();
                int at = rng.nextInt(out.length);
                out[at] = (byte) "0123456789-.e\"{}[],: ".charAt(rng.nextInt(21)); // JSON-shaped damage
                return out;
            }
        }
    }

    /** Overwrites 4 or 8 bytes at {@code at} with a boundary value in either byte order. */
    private byte[] lengthField(byte[] in, int at) {
        long[] values = {0, 1, -1, Integer.MAX_VALUE, Long.MAX_VALUE, in.length, in.length - 8L, in.length + 1L,
            1L << 31, 1L << 40, rng.nextLong()};
        long value = values[rng.nextInt(values.length)];
        int width = rng.nextBoolean() ? 8 : 4;
        ByteBuffer field = ByteBuffer.allocate(8).order(rng.nextBoolean() ? ByteOrder.LITTLE_ENDIAN
                : ByteOrder.BIG_ENDIAN);
        if (width == 8) {
            field.putLong(value);
        } else {
            field.putInt((int) value);
        }
        byte[] out = in.clone();
        for (int i = 0; i < width && at + i < out.length; i++) {
            out[at + i] = field.get(i);
        }
        return out;
    }

    private byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        rng.nextBytes(bytes);
        return bytes;
    }
}
