package dev.peft4j.apps.instruct;

import ai.djl.ndarray.NDManager;
import dev.peft4j.apps.text.AdapterOutput;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.SaveMode;
import dev.peft4j.core.method.lora.LoraConfig;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.llama.PretrainedLlama;
import dev.peft4j.train.instruct.InstructionSplits;
import dev.peft4j.train.lm.LanguageModelPredictor;
import dev.peft4j.train.lm.TokenSequence;
import dev.peft4j.train.loop.OutputLocation;
import dev.peft4j.train.loop.RunFolder;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.metrics.Metrics;
import dev.peft4j.train.objective.CausalLmObjective;
import java.io.IOException;
import java.util.List;

/**
 * Runs an {@link InstructionTuningRequest} end to end: load the decoder and the instructions, wrap the decoder with
 * the method, train on the responses (best epoch by validation response perplexity), then score greedy generations
 * on the held-out test instructions and save the adapter.
 */
public final class InstructionTuningJob {

    /** The metric that picks the best epoch: the validation responses' perplexity (lower is better). */
    public static final String SELECTION_METRIC = "perplexity";

    private InstructionTuningJob() {
    }

    /**
     * What a run produced.
     *
     * @param result the trainer's result; for the row without fine-tuning, the base model's validation and test
     *     metrics with no epochs
     * @param evaluation generation scores by kind and the generations
     * @param trainableReport which tensors trained, and how many values
     */
    public record Report(InstructionTuningRequest request, TrainResult result, InstructionEvaluation.Result evaluation,
            String trainableReport, double totalSeconds, int trainExamples, int testExamples) {

        /** The test responses' perplexity. */
        public double responsePerplexity() {
            return result.test().get(SELECTION_METRIC);
        }
    }

    public static Report run(InstructionTuningRequest request, ArtifactCache cache) throws IOException {
        if (!SELECTION_METRIC.equals(request.trainer().selectionMetric())) {
            throw new IllegalArgumentException("Instruction tuning picks the best epoch by the validation responses' "
                    + SELECTION_METRIC + ", but the trainer was given --metric " + request.trainer().selectionMetric()
                    + "; leave --metric out or pass --metric " + SELECTION_METRIC);
        }
        if (request.adapterDir() != null) {
            OutputLocation.requireWritableDirectory(request.adapterDir(), "the adapter folder");
        }
        long start = System.nanoTime();
        try (RunFolder runFolder = request.trainer().outputDir() == null ? null
                : RunFolder.claim(request.trainer().outputDir(), request.trainer().runFolderMode())) {
            InstructionSplits splits = request.data().load(cache, request.maxTrainPerKind(), request.maxEvalPerKind());
            try (NDManager manager = NDManager.newBaseManager();
                    PretrainedLlama.Loaded llama = PretrainedLlama.load(request.model(), manager)) {
                int maxLength = Math.min(request.maxLength(), llama.model().config().maxPositionEmbeddings());
                InstructionTokens tokens = new InstructionTokens(llama.tokenizer(), request.style(), maxLength);
                List<TokenSequence> train = tokens.sequences(splits.train());
                List<TokenSequence> validation = tokens.sequences(splits.validation());
                List<TokenSequence> test = tokens.sequences(splits.test());
                PeftModel peft = Peft.wrap(llama.model(), config(request));
                String trainable = request.baseOnly() ? "no fine-tuning: the base model" : peft.trainableParametersReport();
                System.err.println(trainable);
                Trainer<TokenSequence> trainer = new Trainer<>(new CausalLmObjective<>(new LanguageModelPredictor(
                        llama.model(), peft, llama.tokenizer().eosId())), request.trainer());
                TrainResult result = request.baseOnly() ? baseResult(trainer, validation, test, start)
                        : trainer.fit(train, validation, test);
                InstructionEvaluation.Result evaluation = InstructionEvaluation.evaluate(llama.generator(), tokens,
                        splits.test(), request.maxNewTokens(), manager);
                if (request.adapterDir() != null && !request.baseOnly() && !result.stopped()) {
                    AdapterOutput.save(peft, request.adapterDir(), SaveMode.COMPACT);
                }
                return new Report(request, result, evaluation, trainable, (System.nanoTime() - start) / 1e9,
                        train.size(), test.size());
            }
        }
    }

    /**
     * The method's config; for the row without fine-tuning a LoRA that is never trained, whose B starts at zero so
     * the wrapped model computes exactly the base model (the objective reads the model through a wrapper).
     */
    private static AdapterConfig config(InstructionTuningRequest request) {
        return request.baseOnly() ? LoraConfig.builder().setRank(1).optTargetModules("q_proj").build()
                : request.method().toConfig(List.of());
    }

    private static TrainResult baseResult(Trainer<TokenSequence> trainer, List<TokenSequence> validation,
            List<TokenSequence> test, long start) {
        Metrics val = trainer.evaluate(validation);
        Metrics tested = trainer.evaluate(test);
        return new TrainResult(0, SELECTION_METRIC, val, tested, List.of(), 0, 0, (System.nanoTime() - start) / 1e9,
                0, false);
    }
}
