package dev.peft4j.core.decomp;

import java.util.Arrays;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Truncated versus full LDU on random weights. Opt-in (minutes of CPU):
 * {@code mvn -q -B -o test -pl peft4j-core -Dtest=LduDecompositionBenchmark -Dpeft4j.bench=true}.
 * Prints the median of a few runs (one for the 4096 full LU) and, per rank, the measured speed-up, the
 * {@code min(m, n) / r} of an {@code O(m n r)} method and the flop ratio of this left-looking elimination,
 * {@code sum_j (m - j + n - j) j}, which grows like {@code (min / r)^2} for small r.
 */
@Tag("bench")
@EnabledIfSystemProperty(named = "peft4j.bench", matches = "true")
class LduDecompositionBenchmark {

    @Test
    void truncatedVersusFull() {
        System.out.printf("%-11s %5s %11s %11s %9s %9s %11s%n", "weight", "r", "truncated", "full", "speed-up",
                "min/r", "flop ratio");
        run(768, 5, 5);
        run(4096, 3, 1);
    }

    private static void run(int size, int runs, int fullRuns) {
        float[] w = LduDecompositionPropertyTest.gaussian(size, size, size);
        LduDecomposition.truncated("warm-up", w, size, size, 64);
        double full = medianMillis(w, size, size, fullRuns);
        for (int r : new int[] {8, 64, 256}) {
            double truncated = medianMillis(w, size, r, runs);
            System.out.printf("%-11s %5d %8.1f ms %8.1f ms %8.1fx %9.1f %10.1fx%n", size + "x" + size, r, truncated,
                    full, full / truncated, (double) size / r, flops(size, size, size) / flops(size, size, r));
        }
    }

    private static double medianMillis(float[] w, int size, int r, int runs) {
        double[] millis = new double[runs];
        for (int run = 0; run < runs; run++) {
            long start = System.nanoTime();
            LduDecomposition.truncated("bench", w, size, size, r);
            millis[run] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(millis);
        return millis[runs / 2];
    }

    private static double flops(int m, int n, int r) {
        double total = 0;
        for (int j = 0; j < r; j++) {
            total += (double) (m - j + n - j) * j + m + n;
        }
        return total;
    }
}
