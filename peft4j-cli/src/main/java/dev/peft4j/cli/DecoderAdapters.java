package dev.peft4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TaskType;
import dev.peft4j.models.llama.PretrainedLlama;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Tells a decoder's adapter from a classifier's by its {@code task_type}, and finds the decoder to load it on. */
final class DecoderAdapters {

    private DecoderAdapters() {
    }

    /**
     * The decoder to load the adapter in {@code adapterDir} on: {@code model} when given, else the adapter's
     * {@code base_model_name_or_path}; null when the adapter is not a causal LM's (its {@code task_type} is not
     * {@code CAUSAL_LM}), so the caller reads it as a classifier's.
     */
    static String baseOf(Path adapterDir, String model) throws IOException {
        Path config = adapterDir.resolve(PeftModel.CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            return null; // the classifier path names what is missing
        }
        JsonNode json = new ObjectMapper().readTree(config.toFile());
        if (!TaskType.CAUSAL_LM.name().equals(json.path("task_type").asText())) {
            return null;
        }
        String base = model != null ? model : json.path("base_model_name_or_path").asText();
        if (!PretrainedLlama.isLlama(base)) {
            throw new IllegalArgumentException("The adapter in " + adapterDir + " is a causal LM's (task_type "
                    + "CAUSAL_LM) on base '" + base + "', which is not " + PretrainedLlama.ID + " nor a Llama "
                    + "directory here; pass --model with the decoder it was trained on");
        }
        return base;
    }
}
