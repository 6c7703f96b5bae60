package dev.peft4j.cli;

import dev.peft4j.core.precision.CpuFeatures;
import dev.peft4j.core.precision.Precision;
import java.io.PrintStream;
import picocli.CommandLine.Option;

/** {@code --precision}: the arithmetic of the frozen base's matrix products for every model the command loads. */
final class PrecisionOptions {

    @Option(names = "--precision", defaultValue = "auto",
            description = "fp32, bf16 or auto: bf16 where the CPU has bf16 matrix units (AMX or AVX-512-BF16), "
                    + "fp32 elsewhere; adapters, norms, softmax, loss and optimiser stay fp32 "
                    + "(default: ${DEFAULT-VALUE}).")
    String precision;

    /** Sets the precision of the models loaded from now on and says which it is and why. */
    Precision apply(PrintStream log) {
        Precision chosen = Precision.parse(precision);
        Precision.setDefaultForNewModels(chosen);
        String why = precision.trim().equalsIgnoreCase("auto")
                ? " (auto on " + CpuFeatures.current().model() + ": " + (chosen == Precision.BF16 ? "has" : "no")
                        + " bf16 matrix units)"
                : "";
        log.println("precision " + chosen.describe() + why);
        return chosen;
    }
}
