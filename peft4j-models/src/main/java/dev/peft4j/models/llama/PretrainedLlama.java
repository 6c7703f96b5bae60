package dev.peft4j.models.llama;

import ai.djl.ndarray.NDManager;
import dev.peft4j.models.io.HuggingFaceJson;
import dev.peft4j.models.io.ShippedFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Llama-family model directories by id or path: the small English model pretrained here and shipped inside this jar
 * ({@value #ID}; its README gives the command, seed, data, SHA-256 and measured loss), or any directory a user has in
 * Hugging Face's layout ({@code config.json} with {@code model_type} "llama", {@code model.safetensors} or a sharded
 * index, {@code tokenizer.json}).
 */
public final class PretrainedLlama {

    /** The id of the shipped model. */
    public static final String ID = "llama-en-4m";
    static final String RESOURCE_DIR = "/dev/peft4j/models/llama/pretrained-en-4m/";
    static final List<String> FILES = List.of(LlamaConfig.FILE, LlamaWeights.WEIGHTS_FILE,
            LlamaTokenizer.TOKENIZER_JSON, LlamaTokenizer.TOKENIZER_CONFIG, "special_tokens_map.json");

    /** A loaded model and its tokenizer, closed together. */
    public record Loaded(LlamaModel model, LlamaTokenizer tokenizer) implements AutoCloseable {

        public LlamaTextGenerator generator() {
            return new LlamaTextGenerator(model, tokenizer);
        }

        @Override
        public void close() {
            tokenizer.close();
            model.close();
        }
    }

    private PretrainedLlama() {
    }

    /** Whether {@code idOrDir} is the shipped id or a directory whose {@code config.json} says {@code llama}. */
    public static boolean isLlama(String idOrDir) {
        if (ID.equals(idOrDir)) {
            return true;
        }
        return "llama".equals(HuggingFaceJson.modelType(Path.of(idOrDir)));
    }

    /** Loads the shipped model ({@value #ID}) or a model directory, with its tokenizer. */
    public static Loaded load(String idOrDir, NDManager parent) throws IOException {
        if (!ID.equals(idOrDir)) {
            return load(Path.of(idOrDir), parent);
        }
        Path dir = Files.createTempDirectory("peft4j-llama-");
        try {
            Loaded loaded = load(copyTo(dir), parent);
            loaded.model().identifiedAs(ID); // not the temporary copy's directory
            return loaded;
        } finally {
            ShippedFiles.delete(dir, FILES); // loaded into tensors and the tokenizer: the copies may go
        }
    }

    private static Loaded load(Path dir, NDManager parent) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException("No model directory " + dir + ": expected " + ID + " or a directory with "
                    + "config.json, model.safetensors (or model.safetensors.index.json) and tokenizer.json");
        }
        LlamaModel model = LlamaModel.load(dir, parent);
        try {
            return new Loaded(model, LlamaTokenizer.load(dir));
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** Copies the shipped model's files from the class path into {@code dir} and returns {@code dir}. */
    public static Path copyTo(Path dir) throws IOException {
        return ShippedFiles.copy(RESOURCE_DIR, FILES, "pretrain lm", dir);
    }
}
