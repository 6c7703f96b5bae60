package dev.peft4j.cli;

import dev.peft4j.apps.diffusion.DitPersonalisation;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

/** The console summary of {@code peft4j personalise}: the figures, the files, and the command that uses them. */
final class PersonalisationPrinter {

    private PersonalisationPrinter() {
    }

    static void print(DitPersonalisation.Report report, PrintStream out) {
        DitPersonalisation.Request r = report.request();
        out.printf(Locale.ROOT, "%nconcept %d -> row %d | method %s | %d shots, %s | trainable %,d | adapter %,d B"
                + " | training %.1f s (run %.1f s)%n", r.concept(), report.spareLabel(), r.method().id(),
                r.data().shots(), r.method().baseOnly() ? "no training" : r.steps() + " steps"
                        + (r.priorImages() > 0 ? " with " + r.priorImages() + " prior images" : ""),
                report.trainableParameters(), report.adapterBytes(), report.trainingSeconds(), report.totalSeconds());
        if (report.result() != null) {
            out.printf(Locale.ROOT, "concept noise MSE on validation images %.4f -> %.4f%n",
                    report.initialValidationLoss(), report.result().bestValidation().loss());
        }
        out.printf(Locale.ROOT, "subject fidelity %.4f (vs real test images), %.4f (vs held-out training images); "
                + "the real shots: %.4f%n", report.concept().subjectFidelity(), report.concept().validationFidelity(),
                report.shotsFidelity());
        out.printf(Locale.ROOT, "recognised as class %d: %.3f of %d generated images%n", r.concept(),
                report.concept().recognition(), report.concept().images().size());
        if (report.prior() != null) {
            out.printf(Locale.ROOT, "prior preservation %.3f (base %.3f) over %d trained classes, %d images each%n",
                    report.prior().mean(), report.basePrior().mean(), report.prior().perClass().length,
                    r.evaluation().priorPerClass());
        }
        out.printf(Locale.ROOT, "grids: %s (generated), %s (the shots); figures in %s%n",
                r.outputDir().resolve(DitPersonalisation.CONCEPT_GRID), r.outputDir().resolve(DitPersonalisation.SHOTS_GRID),
                r.outputDir().resolve(DitPersonalisation.RESULT_FILE));
    }

    /** {@code generate-image} on the result, spelled as a command that runs as printed. */
    static void printNextSteps(DitPersonalisation.Report report, PrintStream out) {
        DitPersonalisation.Request r = report.request();
        Path adapter = r.outputDir().resolve(DitPersonalisation.ADAPTER_DIR);
        out.printf(Locale.ROOT, "%nnext:%n  ./peft4j generate-image --model %s%s --class %d --count 16 -o %s%n",
                r.base(), report.result() == null ? "" : " --adapter " + adapter, report.spareLabel(),
                r.outputDir().resolve("more-" + report.spareLabel() + ".png"));
    }
}
