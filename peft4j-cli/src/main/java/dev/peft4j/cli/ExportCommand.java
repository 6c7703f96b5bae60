package dev.peft4j.cli;

import ai.djl.ndarray.NDManager;
import dev.peft4j.apps.text.TrainedClassifier;
import dev.peft4j.core.adapter.LoadOptions;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.llama.PretrainedLlama;
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

    @Option(names = "--model", description = "A decoder adapter's base (default: the adapter's "
            + "base_model_name_or_path); a text classifier's base is read from the adapter.")
    String model;

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
        String decoderBase = DecoderAdapters.baseOf(adapter, model);
        if (decoderBase != null) {
            try (NDManager manager = NDManager.newBaseManager();
                    PretrainedLlama.Loaded llama = PretrainedLlama.load(decoderBase, manager)) {
                export(PeftModel.load(llama.model(), adapter, false,
                        LoadOptions.strict().withAllowOtherBase(allowOtherBase)));
            }
        } else {
            try (TrainedClassifier trained = TrainedClassifier.open(adapter, ArtifactCache.defaultCache(),
                    allowOtherBase)) {
                export(trained.peft());
            }
        }
        System.out.println("wrote a LoRA adapter (peft_type LORA, lora_alpha = r) to " + output);
        return 0;
    }

    private void export(PeftModel peft) throws IOException {
        try {
            peft.exportLora(output);
        } catch (IOException e) {
            throw new IOException("Cannot write the LoRA adapter to " + output + ": " + IoMessages.describe(e), e);
        }
    }
}
