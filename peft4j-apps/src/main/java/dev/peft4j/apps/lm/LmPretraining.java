package dev.peft4j.apps.lm;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.core.method.full.FullFineTuneConfig;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.llama.LlamaConfig;
import dev.peft4j.models.llama.LlamaModel;
import dev.peft4j.models.llama.LlamaTokenizer;
import dev.peft4j.train.lm.EnglishCorpus;
import dev.peft4j.train.lm.LanguageModelPredictor;
import dev.peft4j.train.lm.TokenSequence;
import dev.peft4j.train.lm.TokenWindows;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.objective.CausalLmObjective;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Pretrains a small Llama-architecture model from scratch on {@link EnglishCorpus} (Moby-Dick and the State of the
 * Union addresses, a document-level validation split), because no registry here serves pretrained decoder weights:
 * a byte-level BPE tokenizer is learned on the training documents ({@link BpeTrainer}, written as
 * {@code tokenizer.json} and loaded back through DJL's Hugging Face tokenizers like a real model's), documents are
 * packed into windows ({@link TokenWindows}), every parameter trains through the project's {@link Trainer} with the
 * next-token objective, and the result is a Hugging Face Llama directory (fp16 {@code model.safetensors},
 * {@code config.json}, tokenizer files) with {@code pretrain_result.json} and {@code loss_curve.tsv}. Validation loss
 * and bits per byte are reported beside unigram and bigram baselines fitted on the same tokens
 * ({@link NgramBaselines}), for the fp32 weights and for the fp16 weights as saved.
 */
public final class LmPretraining {

    public static final String RESULT_FILE = "pretrain_result.json";
    public static final String CURVE_FILE = "loss_curve.tsv";
    /** Prompts of the sampled continuations in the result. */
    public static final List<String> SAMPLE_PROMPTS = List.of("Call me Ishmael. Some years ago",
            "The whale", "Fellow-Citizens of the Senate and House of Representatives:", "The Congress shall");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private LmPretraining() {
    }

    /**
     * @param model the architecture; its vocabulary size is replaced by the tokenizer's
     * @param vocabSize tokens of the BPE vocabulary to learn (specials and bytes included)
     * @param sequenceLength tokens per training window (at most the model's max positions)
     * @param trainer optimiser, epochs, batch size, seed (also seeds init)
     * @param maxTrainWindows use at most this many training windows (a seeded subset), 0 for all
     * @param curveEvery a loss-curve point every this many optimiser steps
     * @param curveSample validation windows scored at each loss-curve point (a fixed seeded subset)
     * @param outputDir the model directory to write ({@code run/} beside it holds the trainer's files)
     */
    public record Request(LlamaConfig model, int vocabSize, int sequenceLength, TrainerConfig trainer,
            int maxTrainWindows, int curveEvery, int curveSample, Path outputDir) {
    }

    /** What one run measured. */
    public record Report(TrainResult result, long parameters, int trainWindows, int validationWindows,
            Map<String, Object> figures, double totalSeconds) {
    }

    public static Report run(Request request, ArtifactCache cache) throws IOException {
        long start = System.nanoTime();
        long seed = request.trainer().seed();
        Path out = request.outputDir();
        Files.createDirectories(out);
        EnglishCorpus.Split split = EnglishCorpus.load(cache).split();
        System.err.println("peft4j: corpus " + split);
        long tokenizerStart = System.nanoTime();
        BpeTrainer.Vocabulary vocabulary = BpeTrainer.train(texts(split.train()), request.vocabSize());
        TokenizerJson.write(out, vocabulary, request.model().maxPositionEmbeddings());
        double tokenizerSeconds = (System.nanoTime() - tokenizerStart) / 1e9;
        TokenizedSplit tokens;
        try (LlamaTokenizer tokenizer = LlamaTokenizer.load(out)) {
            tokens = TokenizedSplit.of(split, tokenizer, request.sequenceLength());
        }
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("tokenizer_seconds", tokenizerSeconds);
        figures.put("vocab_size", vocabulary.size());
        figures.put("train_bytes", split.trainBytes());
        figures.put("validation_bytes", split.validationBytes());
        figures.put("validation_bytes_per_token", tokens.validationBytesPerToken());
        figures.put("baselines", tokens.baselineFigures());

        // the learned vocabulary and its specials (the BPE trainer's BOS and EOS ids)
        LlamaConfig config = request.model().withVocabulary(vocabulary.size(), BpeTrainer.BOS_ID,
                List.of(BpeTrainer.EOS_ID));
        List<TokenSequence> train = sample(tokens.train(), request.maxTrainWindows(), seed);
        List<TokenSequence> validation = tokens.validation();
        List<TokenSequence> curveSample = sample(validation, request.curveSample(), seed + 1);
        TrainerConfig trainerConfig = request.trainer().toBuilder().optSelectionMetric("loss")
                .optOutputDir(out.resolve("run")).build();
        TrainResult result;
        long parameters;
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel model = LlamaModel.random(config, seed, manager)) {
            PeftModel peft = Peft.wrap(model, FullFineTuneConfig.builder().build());
            parameters = peft.adapterParameters().values().stream().mapToLong(t -> t.getShape().size()).sum();
            System.err.println("peft4j: pretraining a Llama of " + parameters + " parameters on " + train.size()
                    + " windows of " + request.sequenceLength() + " tokens (" + tokens.validation().size()
                    + " validation windows)");
            CausalLmObjective<TokenSequence> objective = new CausalLmObjective<>(
                    new LanguageModelPredictor(model, peft, vocabulary.idOf(BpeTrainer.EOS)));
            Trainer<TokenSequence> trainer = new Trainer<>(objective, trainerConfig);
            LossCurve curve = new LossCurve(request.curveEvery(), () -> trainer.evaluate(curveSample),
                    out.resolve(CURVE_FILE));
            trainer.addListener(curve);
            result = trainer.fit(train, validation, validation);
            peft.mergeAndUnload(); // the trained values into the model's own tensors
            if (result.stopped()) {
                return new Report(result, parameters, train.size(), validation.size(), figures, seconds(start));
            }
            figures.put("validation_fp32", tokens.lossFigures(result.test()));
            model.save(out, "F16");
        }
        // the shipped weights are the fp16 ones: measure them as a user loads them
        try (NDManager manager = NDManager.newBaseManager();
                LlamaModel saved = LlamaModel.load(out, manager);
                LlamaTokenizer tokenizer = LlamaTokenizer.load(out)) {
            PeftModel peft = Peft.wrap(saved, FullFineTuneConfig.builder().build());
            Trainer<TokenSequence> evaluator = new Trainer<>(new CausalLmObjective<>(
                    new LanguageModelPredictor(saved, peft, tokenizer.eosId())), trainerConfig.toBuilder()
                    .optOutputDir(null).build());
            figures.put("validation_fp16", tokens.lossFigures(evaluator.evaluate(validation)));
            peft.unload();
            figures.put("samples", Samples.generate(saved, tokenizer, SAMPLE_PROMPTS,
                    GenerationConfig.builder().optMaxNewTokens(40).optTemperature(0.8).optTopP(0.95)
                            .optSeed(seed).build(), manager));
        }
        Report report = new Report(result, parameters, train.size(), validation.size(), figures, seconds(start));
        writeResult(request, report, config);
        return report;
    }

    private static List<String> texts(List<EnglishCorpus.Document> documents) {
        List<String> texts = new ArrayList<>();
        for (EnglishCorpus.Document d : documents) {
            texts.add(d.text());
        }
        return texts;
    }

    /** At most {@code max} items, a seeded subset in the original order; all of them for 0. */
    static <T> List<T> sample(List<T> items, int max, long seed) {
        if (max <= 0 || max >= items.size()) {
            return items;
        }
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            indices.add(i);
        }
        java.util.Collections.shuffle(indices, new Random(seed));
        List<Integer> chosen = new ArrayList<>(indices.subList(0, max));
        java.util.Collections.sort(chosen);
        List<T> out = new ArrayList<>();
        for (int i : chosen) {
            out.add(items.get(i));
        }
        return out;
    }

    private static void writeResult(Request request, Report report, LlamaConfig config) throws IOException {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("data", "Moby-Dick (npm " + EnglishCorpus.MOBY_DICK_PACKAGE + ") and State of the Union addresses"
                + " (npm " + EnglishCorpus.SOTU_PACKAGE + "); every " + EnglishCorpus.DEFAULT_VALIDATION_EVERY
                + "th document held out for validation");
        json.put("architecture", "LlamaForCausalLM");
        json.put("parameters", report.parameters());
        json.put("hidden_size", config.hiddenSize());
        json.put("layers", config.numHiddenLayers());
        json.put("heads", config.numAttentionHeads());
        json.put("key_value_heads", config.numKeyValueHeads());
        json.put("intermediate_size", config.intermediateSize());
        json.put("sequence_length", request.sequenceLength());
        json.put("train_windows", report.trainWindows());
        json.put("validation_windows", report.validationWindows());
        json.put("epochs", request.trainer().epochs());
        json.put("learning_rate", request.trainer().learningRate());
        json.put("weight_decay", request.trainer().weightDecay());
        json.put("batch_size", request.trainer().batchSize());
        json.put("warmup_ratio", request.trainer().warmupRatio());
        json.put("seed", request.trainer().seed());
        json.putAll(report.figures());
        json.put("wall_seconds", report.totalSeconds());
        AtomicFiles.writeString(request.outputDir().resolve(RESULT_FILE), JSON.writeValueAsString(json));
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
