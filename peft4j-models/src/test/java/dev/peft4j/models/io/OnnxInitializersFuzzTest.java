package dev.peft4j.models.io;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded mutations of a small valid ONNX model (bit flips, truncations, insertions, deletions, varint and length
 * fields set to boundary values): the reader returns initializers or throws its documented IOException; any other
 * exception, an OOM or a hang fails the test.
 */
class OnnxInitializersFuzzTest {

    private static final int MUTATIONS = 3000;
    private static final Duration BUDGET = Duration.ofSeconds(3);

    @TempDir
    Path dir;

    @Test
    void mutatedModelsReadOrFailWithIoExceptionOnly() throws IOException {
        byte[] valid = OnnxInitializersTest.model();
        Random rng = new Random(1234L);
        Path file = dir.resolve("m.onnx");
        assertTimeoutPreemptively(BUDGET.multipliedBy(5), () -> {
            long deadline = System.nanoTime() + BUDGET.toNanos();
            for (int i = 0; i < MUTATIONS && System.nanoTime() < deadline; i++) {
                byte[] mutated = mutate(valid, rng);
                Files.write(file, mutated);
                try {
                    OnnxInitializers.read(file);
                } catch (IOException expected) {
                    // the documented failure
                } catch (RuntimeException | Error e) {
                    fail("mutation " + i + " (" + mutated.length + " bytes) threw " + e, e);
                }
            }
        });
    }

    /** One to three edits; a protobuf varint of 5 0xFF-ish bytes stands for a huge or negative length. */
    static byte[] mutate(byte[] valid, Random rng) {
        byte[] out = valid.clone();
        for (int edit = 1 + rng.nextInt(3); edit > 0; edit--) {
            if (out.length == 0) {
                return new byte[] {(byte) rng.nextInt()};
            }
            int at = rng.nextInt(out.length);
            switch (rng.nextInt(5)) {
                case 0 -> out[at] ^= (byte) (1 << rng.nextInt(8));
                case 1 -> out = Arrays.copyOf(out, at);
                case 2 -> {
                    byte[] extra = new byte[1 + rng.nextInt(8)];
                    rng.nextBytes(extra);
                    out = splice(out, at, 0, extra);
                }
                case 3 -> out = splice(out, at, Math.min(out.length - at, 1 + rng.nextInt(8)), new byte[0]);
                default -> {
                    byte[][] lengths = {{(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07},
                        {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F}, {0x00}, {(byte) 0x80, 0x01},
                        ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(rng.nextInt()).array()};
                    byte[] value = lengths[rng.nextInt(lengths.length)];
                    out = splice(out, at, Math.min(out.length - at, value.length), value);
                }
            }
        }
        return out;
    }

    private static byte[] splice(byte[] in, int at, int remove, byte[] insert) {
        byte[] out = new byte[in.length - remove + insert.length];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(in, at + remove, out, at + insert.length, in.length - at - remove);
        return out;
    }
}
