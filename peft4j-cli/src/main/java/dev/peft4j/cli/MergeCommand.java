package dev.peft4j.cli;

import dev.peft4j.apps.text.TrainedClassifier;
import dev.peft4j.hub.ArtifactCache;
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

    @Override
    public Integer call() throws Exception {
        try (TrainedClassifier trained = TrainedClassifier.open(adapter, ArtifactCache.defaultCache())) {
            int count = trained.writeMerged(output);
            System.out.println("wrote " + count + " tensors to " + output.resolve("model.safetensors"));
        }
        return 0;
    }
}
