package dev.peft4j.apps.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What besides the adapter is needed to rebuild a trained classifier: the base encoder, the
 * tokenisation length, the pooling and the labels. Saved as {@code training_args.json} beside
 * {@code adapter_config.json} (peft's files hold none of this).
 */
public record TrainingArgs(String model, String task, int maxLength, String pooling, List<String> labelNames) {

    public static final String FILE = "training_args.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public PretrainedModel pretrainedModel() {
        return PretrainedModel.fromId(model);
    }

    public SequenceClassifier.Pooling poolingMode() {
        return SequenceClassifier.Pooling.valueOf(pooling);
    }

    public void save(Path adapterDir) throws IOException {
        Files.createDirectories(adapterDir);
        AtomicFiles.writeString(adapterDir.resolve(FILE), JSON.writeValueAsString(this));
    }

    public static TrainingArgs load(Path adapterDir) throws IOException {
        Path file = adapterDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("No " + FILE + " in " + adapterDir + ": expected an adapter directory written by "
                    + "'peft4j train --output DIR' (its adapter is in DIR/adapter)");
        }
        try {
            return JSON.readValue(file.toFile(), TrainingArgs.class);
        } catch (JsonProcessingException e) {
            throw new IOException(file + " is not a valid " + FILE + " ("
                    + dev.peft4j.train.io.IoMessages.describe(e) + "); rewrite it from a fresh 'peft4j train' run, "
                    + "or restore it from a copy", e);
        }
    }
}
