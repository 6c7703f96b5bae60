package dev.peft4j.cli;

import dev.peft4j.core.adapter.AdaptableModel;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import dev.peft4j.train.data.ArtifactCache;
import dev.peft4j.train.text.TrainedClassifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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
            AdaptableModel merged = trained.peft().mergeAndUnload();
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            merged.parameters().forEach((name, t) -> tensors.put(name,
                    TensorData.ofFloats(t.getShape().getShape(), t.toFloatArray())));
            Files.createDirectories(output);
            SafeTensors.write(output.resolve("model.safetensors"), tensors,
                    Map.of("format", "pt", "base_model", trained.args().model()));
            System.out.println("wrote " + tensors.size() + " tensors to " + output.resolve("model.safetensors"));
        }
        return 0;
    }
}
