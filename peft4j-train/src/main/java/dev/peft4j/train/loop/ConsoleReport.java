package dev.peft4j.train.loop;

import java.io.PrintStream;
import java.util.Locale;

/** The lines every run prints on stderr: a resume, each epoch's loss and score, and a divergence warning. */
final class ConsoleReport implements TrainingListener {

    private final PrintStream out;
    private final float learningRate;

    ConsoleReport(PrintStream out, float learningRate) {
        this.out = out;
        this.learningRate = learningRate;
    }

    @Override
    public void onTrainBegin(TrainBegin event) {
        if (event.resumed()) {
            out.println("peft4j: resumed from step " + event.firstStep() + " (epoch " + event.firstEpoch() + ")");
        }
    }

    @Override
    public void onEpochEnd(EpochEnd event) {
        out.printf(Locale.ROOT, "peft4j: epoch %d train loss %.4f validation %s %.4f%n", event.epoch(),
                event.trainLoss(), event.selectionMetric(), event.validation().get(event.selectionMetric()));
        if (event.diverged()) {
            out.printf(Locale.ROOT, "peft4j: warning: training diverged in epoch %d (loss %s); stopping and keeping the"
                    + " best epoch (%d). Lower the learning rate (now %s) to avoid it.%n", event.epoch(),
                    event.trainLoss(), event.bestEpoch(), learningRate);
        }
    }
}
