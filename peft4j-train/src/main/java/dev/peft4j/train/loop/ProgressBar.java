package dev.peft4j.train.loop;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One self-rewriting line on the terminal: step, loss, examples/s, ETA. When stderr is not a
 * terminal (CI logs) it prints a plain line every 10% instead of carriage returns.
 */
final class ProgressBar {

    private final PrintStream out;
    private final int total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private int lastDecile = -1;

    ProgressBar(PrintStream out, int total) {
        this.out = out;
        this.total = total;
        this.terminal = System.console() != null;
    }

    void update(int step, int epoch, double loss, long examples) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = examples / Math.max(seconds, 1e-9);
        double eta = step == 0 ? 0 : seconds / step * (total - step);
        String line = String.format(Locale.ROOT, "epoch %d step %d/%d loss %.4f %.1f ex/s ETA %s", epoch + 1, step,
                total, loss, rate, format(eta));
        if (terminal) {
            out.print("\r" + line + "   ");
            out.flush();
        } else {
            int decile = total == 0 ? 10 : step * 10 / total;
            if (decile != lastDecile) {
                out.println(line);
                lastDecile = decile;
            }
        }
    }

    void finish() {
        if (terminal) {
            out.println();
        }
    }

    private static String format(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
