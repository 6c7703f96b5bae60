package dev.peft4j.cli;

import dev.peft4j.apps.instruct.InstructionSource;
import dev.peft4j.train.instruct.PromptStyle;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** What instruction tuning of a decoder adds to {@code train}: the data, the prompt and how responses are scored. */
final class InstructionOptions {

    /** The options only a decoder's instruction tuning reads, refused for the other kinds of model. */
    static final List<String> NAMES = List.of("--max-new-tokens", "--prompt-style", "--max-eval", "--validation-data");

    @Option(names = "--max-new-tokens", defaultValue = "32",
            description = "Decoder: longest generated response when scoring (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--prompt-style", defaultValue = "alpaca-short", description = "Decoder: alpaca (Stanford "
            + "Alpaca's template with its preamble) or alpaca-short (only its ### headers) (default: ${DEFAULT-VALUE}).")
    String promptStyle;

    @Option(names = "--max-eval", defaultValue = "100", description = "Decoder, --task wordnet: validation and test "
            + "instructions per kind, 0 for all (default: ${DEFAULT-VALUE}).")
    int maxEval;

    @Option(names = "--validation-data", description = "Decoder, --data: an Alpaca JSON Lines file to pick the best "
            + "epoch and score on (default: a tenth of --data held out by content).")
    Path validationData;

    PromptStyle style() {
        return PromptStyle.parse(promptStyle);
    }

    /** {@code --data} (Alpaca JSON Lines) when given, else the built-in {@code --task} (default wordnet). */
    InstructionSource source(TaskOptions task) {
        if (task.data != null) {
            return InstructionSource.files(task.data, validationData);
        }
        if (validationData != null) {
            throw new IllegalArgumentException("--validation-data goes with --data (your training file); the "
                    + "built-in --task " + InstructionSource.WORDNET + " has its own validation words");
        }
        return InstructionSource.builtIn(task.task == null ? InstructionSource.WORDNET : task.task);
    }
}
