package dev.peft4j.train.loop;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One self-rewriting line on the terminal: step, loss, examples/s, ETA. When stderr is not a
 * terminal (CI logs) it prints a plain line every 10% instead of carriage returns.
 */
final class ProgressBar implements TrainingListener {

    private final PrintStream out;
    private final boolean terminal;
    private int total;
    private long start = System.nanoTime();
    private int lastDecile = -1;

    ProgressBar(PrintStream out) {
        this.out = out;
        this.terminal = System.console() != null;
    }

    @Override
    public void onTrainBegin(TrainBegin event) {
        total = event.totalSteps();
        start = System.nanoTime();
    }

    @Override
    public void onStep(StepEnd event) {
        int step = event.globalStep();
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = event.examples() / Math.max(seconds, 1e-9);
        double eta = step == 0 ? 0 : seconds / step * (total - step);
        String line = String.format(Locale.ROOT, "epoch %d step %d/%d loss %.4f %.1f ex/s ETA %s", event.epoch(), step,
                total, event.meanLoss(), rate, format(eta));
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
        if (event.stopping()) {
            finish();
        }
    }

    @Override
    public void onEpochEnd(EpochEnd event) {
        finish();
    }

    private void finish() {
        if (terminal) {
            out.println();
        }
    }

    private static String format(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
