package dev.peft4j.cli;

import dev.peft4j.apps.lm.LmPretraining;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.llama.LlamaConfig;
import dev.peft4j.train.loop.TrainerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code peft4j pretrain lm}: a small Llama-architecture language model trained from scratch (tokenizer included) on
 * public-domain English, saved as a Hugging Face Llama directory; the base for {@code peft4j generate} and decoder
 * fine-tuning. No pretrained decoder is reachable from these machines, so this makes one.
 */
@Command(name = "lm", mixinStandardHelpOptions = true,
        description = "Pretrain a small Llama (and its BPE tokenizer) on Moby-Dick and the State of the Union "
                + "addresses, and save it as a Hugging Face Llama directory.")
final class PretrainLmCommand implements Callable<Integer> {

    @Option(names = {"-o", "--output"}, required = true,
            description = "Output directory: config.json, model.safetensors (fp16), tokenizer.json, "
                    + "pretrain_result.json, loss_curve.tsv, run/.")
    Path output;

    @Option(names = "--vocab", defaultValue = "4096", description = "BPE vocabulary size (default: ${DEFAULT-VALUE}).")
    int vocab;

    @Option(names = "--hidden", defaultValue = "256", description = "Hidden size (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--layers", defaultValue = "4", description = "Decoder layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--heads", defaultValue = "4", description = "Query heads (default: ${DEFAULT-VALUE}).")
    int heads;

    @Option(names = "--kv-heads", defaultValue = "2", description = "Key/value heads, GQA (default: ${DEFAULT-VALUE}).")
    int kvHeads;

    @Option(names = "--mlp", defaultValue = "704", description = "SwiGLU width (default: ${DEFAULT-VALUE}).")
    int mlp;

    @Option(names = "--seq", defaultValue = "256", description = "Tokens per training window (default: ${DEFAULT-VALUE}).")
    int sequenceLength;

    @Option(names = "--max-positions", defaultValue = "512",
            description = "max_position_embeddings of the saved model (default: ${DEFAULT-VALUE}).")
    int maxPositions;

    @Option(names = "--epochs", defaultValue = "2", description = "Passes over the training windows (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--lr", defaultValue = "0.003", description = "AdamW peak learning rate (default: ${DEFAULT-VALUE}).")
    float learningRate;

    @Option(names = "--weight-decay", defaultValue = "0.1", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    float weightDecay;

    @Option(names = "--batch-size", defaultValue = "16", description = "Windows per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--warmup", defaultValue = "0.03", description = "Warm-up fraction of steps (default: ${DEFAULT-VALUE}).")
    float warmup;

    @Option(names = "--max-train-windows", defaultValue = "0",
            description = "Use at most this many training windows (seeded subset), 0 for all (default: ${DEFAULT-VALUE}).")
    int maxTrainWindows;

    @Option(names = "--curve-every", defaultValue = "50",
            description = "A loss-curve point every this many steps (default: ${DEFAULT-VALUE}).")
    int curveEvery;

    @Option(names = "--curve-sample", defaultValue = "32",
            description = "Validation chunks scored at each loss-curve point (default: ${DEFAULT-VALUE}).")
    int curveSample;

    @Option(names = "--checkpoint-every", defaultValue = "50",
            description = "Write a resumable checkpoint every this many steps (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for init and order (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--resume", description = "Continue the interrupted run in --output from its last checkpoint.")
    boolean resume;

    @Option(names = "--overwrite", description = "Delete an earlier pretraining run's files in --output first.")
    boolean overwrite;

    @Mixin
    EngineOptions engineOptions;

    @Override
    public Integer call() throws Exception {
        engineOptions.apply();
        LlamaConfig model = new LlamaConfig(vocab, hidden, mlp, layers, heads, kvHeads, hidden / heads, maxPositions,
                1e-5f, 10000.0, true, false, false, 0f, LlamaConfig.SILU, 1, List.of(2), null, 0.02f, "float16");
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(epochs).optLearningRate(learningRate)
                .optHeadLearningRate(learningRate).optWeightDecay(weightDecay).optBatchSize(batchSize)
                .optWarmupRatio(warmup).optSeed(seed).optCheckpointEvery(checkpointEvery).optResume(resume)
                .optOverwrite(overwrite).optProgress(true).build();
        LmPretraining.Report report = LmPretraining.run(new LmPretraining.Request(model, vocab, sequenceLength,
                trainer, maxTrainWindows, curveEvery, curveSample, output), ArtifactCache.defaultCache());
        Map<String, Object> f = report.figures();
        System.out.printf(Locale.ROOT, "%nLlama of %,d parameters | %d training windows of %d tokens%n",
                report.parameters(), report.trainWindows(), sequenceLength);
        System.out.println("validation (fp16 weights as saved): " + f.get("validation_fp16"));
        System.out.println("baselines on the same tokens: " + f.get("baselines"));
        System.out.printf(Locale.ROOT, "wall time %.0f s; saved to %s%n", report.totalSeconds(), output);
        return 0;
    }
}
