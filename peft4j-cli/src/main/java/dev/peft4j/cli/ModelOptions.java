package dev.peft4j.cli;

import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.models.dit.PretrainedDit;
import dev.peft4j.models.llama.PretrainedLlama;
import dev.peft4j.models.vit.PretrainedVit;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Which pretrained model (a text encoder or a ViT), and for text how texts are cut and the sequence pooled. */
final class ModelOptions {

    static final String TEXT_MODELS = "all-minilm-l6-v2, bge-small-en-v1.5, bert-base-uncased";

    @Option(names = "--model", defaultValue = "all-minilm-l6-v2",
            description = "A text encoder: " + TEXT_MODELS + "; or an image model: vit-fashion-mnist, "
                    + "vit-fashion-mnist-0to4, or a directory written by 'peft4j pretrain vit'; or a decoder: "
                    + "llama-en-4m or a Llama directory (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--max-length", defaultValue = "128", description = "Text: tokens per text (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--pooling", defaultValue = "MEAN", description = "Text: MEAN or CLS (default: ${DEFAULT-VALUE}).")
    SequenceClassifier.Pooling pooling;

    /** Whether {@code --model} names a decoder: the shipped Llama or a Llama directory. */
    boolean isDecoder() {
        return PretrainedLlama.isLlama(model);
    }

    /** Whether {@code --model} names a ViT: a shipped checkpoint or a pretraining output directory. */
    boolean isVision() {
        return PretrainedVit.Checkpoint.byId(model) != null || (Files.isDirectory(Path.of(model))
                && !PretrainedLlama.isLlama(model) && !PretrainedDit.isDit(model));
    }

    /** Refuses a diffusion transformer, which {@code train} does not adapt, naming the commands that take one. */
    void refuseDiffusion() {
        if (PretrainedDit.isDit(model)) {
            throw new IllegalArgumentException("--model '" + model + "' is a diffusion transformer (DiT), and this "
                    + "command adapts a text encoder, a ViT or a decoder; teach a DiT a new class with 'peft4j "
                    + "personalise --model " + model + " --concept N', or sample it with 'peft4j generate-image'");
        }
    }

    /** The text encoder {@code --model} names, or an error listing every model id. */
    PretrainedModel textEncoder() {
        if (PretrainedLlama.isLlama(model)) {
            throw new IllegalArgumentException("--model '" + model + "' is a decoder (Llama); this command adapts "
                    + "text encoders and ViTs. Instruction-tune it with 'peft4j train --model " + model + "', "
                    + "generate with 'peft4j generate'");
        }
        try {
            return PretrainedModel.fromId(model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown --model '" + model + "'; text encoders: " + TEXT_MODELS
                    + "; image models: " + String.join(", ", PretrainedVit.Checkpoint.ids())
                    + " or a directory written by 'peft4j pretrain vit'", e);
        }
    }
}
