package dev.peft4j.cli;

import dev.peft4j.apps.instruct.InstructionEvaluation;
import dev.peft4j.apps.instruct.InstructionTuningJob;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** What {@code train} prints after instruction-tuning a decoder: scores by kind, perplexity, a few generations. */
final class InstructionReportPrinter {

    private static final int SAMPLES_PER_KIND = 2;

    private InstructionReportPrinter() {
    }

    static void print(InstructionTuningJob.Report report, PrintStream out) {
        var request = report.request();
        var r = report.result();
        out.printf(Locale.ROOT, "%nmodel %s | task %s | method %s | %d train instructions, best epoch %d%n",
                request.model(), request.data().label(), request.baseOnly() ? TrainCommand.NO_FINE_TUNING
                        : request.method().method() + " r=" + request.method().rank(), report.trainExamples(),
                r.bestEpoch());
        out.println(report.trainableReport());
        StringBuilder scores = new StringBuilder("test (" + report.testExamples() + " held-out instructions):");
        report.evaluation().scores().forEach((kind, score) -> scores.append(String.format(Locale.ROOT, " %s %.2f%s |",
                kind, score, kind.equals(InstructionEvaluation.AVERAGE) ? ""
                        : " (" + InstructionEvaluation.metricName(kind) + ")")));
        out.println(scores);
        out.printf(Locale.ROOT, "response perplexity: test %.3f | validation %.3f%n", report.responsePerplexity(),
                r.bestValidation().get(InstructionTuningJob.SELECTION_METRIC));
        Map<String, Integer> shown = new HashMap<>();
        for (InstructionEvaluation.Sample s : report.evaluation().samples()) {
            if (shown.merge(s.kind(), 1, Integer::sum) <= SAMPLES_PER_KIND) {
                out.printf(Locale.ROOT, "  [%s] %s %s -> \"%s\" (reference \"%s\")%n", s.kind(), s.instruction(),
                        s.input(), s.generated(), s.reference());
            }
        }
        out.printf(Locale.ROOT, "wall time %.0f s (training %.0f s)%n", report.totalSeconds(), r.wallSeconds());
    }

    static void printNextSteps(String model, Path adapterDir, PrintStream out) {
        String dir = adapterDir.toString();
        out.printf(Locale.ROOT, "%nadapter saved to %s%nnext:%n", dir);
        out.printf(Locale.ROOT, "  ./peft4j generate --model %s --adapter %s -p $'### Instruction:\\nDefine the noun "
                + "\"river\".\\n\\n### Response:\\n' --stop $'\\n'%n", model, dir); // the WordNet prompts' layout
        out.printf(Locale.ROOT, "  ./peft4j export lora --adapter %s -o %s-lora%n", dir, dir);
    }
}
