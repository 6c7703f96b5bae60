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

/** {@code peft4j merge}: fold a saved adapter into the base weights and write a plain model. */
@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Merge a saved adapter into its base model and write model.safetensors (Hugging Face names).")
final class MergeCommand implements Callable<Integer> {

    @Option(names = "--adapter", required = true, description = "Adapter directory (holds adapter_config.json).")
    Path adapter;

    @Option(names = {"-o", "--output"}, required = true, description = "Directory for model.safetensors.")
    Path output;

    @Option(names = "--allow-other-base",
            description = "Load the adapter even if it was trained on a base with other weights (fingerprints differ).")
    boolean allowOtherBase;

    @Override
    public Integer call() throws Exception {
        OptionChecks.separateFolders("-o", output, "--adapter", adapter);
        OutputLocation.requireWritableDirectory(output, "the merged model's folder (-o)");
        try (TrainedClassifier trained = TrainedClassifier.open(adapter, ArtifactCache.defaultCache(), allowOtherBase)) {
            int count;
            try {
                count = trained.writeMerged(output);
            } catch (IOException e) {
                throw new IOException("Cannot write the merged model to " + output + ": " + IoMessages.describe(e), e);
            }
            System.out.println("wrote " + count + " tensors to " + output.resolve("model.safetensors"));
        }
        return 0;
    }
}
