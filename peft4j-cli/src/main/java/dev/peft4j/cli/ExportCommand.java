package dev.peft4j.cli;

import dev.peft4j.apps.text.TrainedClassifier;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.train.io.IoMessages;
import dev.peft4j.train.loop.OutputLocation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code peft4j export lora}: a standard PEFT LoRA adapter equal to the saved one, against the unmodified base. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a saved adapter in another format. Formats: lora.")
final class ExportCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "Target format: lora.")
    String format;

    @Option(names = "--adapter", required = true, description = "Adapter directory (holds adapter_config.json).")
    Path adapter;

    @Option(names = {"-o", "--output"}, required = true, description = "Directory for the exported adapter.")
    Path output;

    @Option(names = "--allow-other-base",
            description = "Load the adapter even if it was trained on a base with other weights (fingerprints differ).")
    boolean allowOtherBase;

    @Override
    public Integer call() throws Exception {
        if (!"lora".equals(format)) {
            throw new IllegalArgumentException("Unknown export format '" + format + "'; accepted: lora");
        }
        OptionChecks.separateFolders("-o", output, "--adapter", adapter);
        OutputLocation.requireWritableDirectory(output, "the export folder (-o)");
        try (TrainedClassifier trained = TrainedClassifier.open(adapter, ArtifactCache.defaultCache(), allowOtherBase)) {
            try {
                trained.peft().exportLora(output);
            } catch (IOException e) {
                throw new IOException("Cannot write the LoRA adapter to " + output + ": " + IoMessages.describe(e), e);
            }
        }
        System.out.println("wrote a LoRA adapter (peft_type LORA, lora_alpha = r) to " + output);
        return 0;
    }
}
