package dev.peft4j.apps.instruct;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import dev.peft4j.models.llama.PretrainedLlama;
import dev.peft4j.train.instruct.AlpacaPrompt;
import dev.peft4j.train.instruct.PromptStyle;
import dev.peft4j.train.loop.TrainerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Instruction tuning on real data and real weights: LoLDU on the shipped decoder, trained on real WordNet instructions,
 * lowers the perplexity of responses about words it never saw and is scored by generation on every kind; the
 * adapter, exported as LoRA and loaded back as a LoRA adapter, generates the same tokens (greedy) as LoLDU.
 */
class InstructionTuningIT {

    @TempDir
    Path dir;

    @Test
    void loLduLearnsHeldOutWordsInstructionsAndItsLoraExportGeneratesTheSameTokens() throws Exception {
        TrainerConfig trainer = TrainerConfig.builder().optEpochs(2).optBatchSize(16).optLearningRate(1e-2f)
                .optSeed(1).optSelectionMetric(InstructionTuningJob.SELECTION_METRIC).optOutputDir(dir.resolve("run"))
                .build();
        MethodSpec loldu = new MethodSpec("loldu", 16, null, null, List.of("q_proj", "v_proj"), false, Map.of());
        Path adapter = dir.resolve("adapter");
        InstructionTuningJob.Report tuned = InstructionTuningJob.run(new InstructionTuningRequest(PretrainedLlama.ID,
                InstructionSource.builtIn(InstructionSource.WORDNET), loldu, trainer, PromptStyle.ALPACA_SHORT, 96, 24,
                60, 16, adapter), ArtifactCache.defaultCache());
        InstructionTuningJob.Report base = InstructionTuningJob.run(new InstructionTuningRequest(PretrainedLlama.ID,
                InstructionSource.builtIn(InstructionSource.WORDNET), null, trainer.toBuilder().optOutputDir(null)
                        .build(), PromptStyle.ALPACA_SHORT, 96, 24, 60, 16, null), ArtifactCache.defaultCache());
        System.err.printf("instruction IT: held-out response perplexity %.2f (base) -> %.2f (LoLDU r=16 q,v); "
                + "scores base %s, tuned %s%n", base.responsePerplexity(), tuned.responsePerplexity(),
                base.evaluation().scores(), tuned.evaluation().scores());
        // the held-out words are new, but the response format (one line, then EOS) and the kinds' wording are not
        assertTrue(tuned.responsePerplexity() < 0.8 * base.responsePerplexity(), "held-out response perplexity "
                + base.responsePerplexity() + " -> " + tuned.responsePerplexity());
        assertEquals(List.of("antonym", "define", "hypernym", "synonym", InstructionEvaluation.AVERAGE),
                List.copyOf(tuned.evaluation().scores().keySet()));
        assertEquals(tuned.testExamples(), tuned.evaluation().samples().size());

        JsonNode config = new ObjectMapper().readTree(adapter.resolve(PeftModel.CONFIG_FILE).toFile());
        assertEquals(PretrainedLlama.ID, config.path("base_model_name_or_path").asText());
        assertEquals("CAUSAL_LM", config.path("task_type").asText());

        List<String> prompts = tuned.evaluation().samples().stream().limit(8)
                .map(s -> AlpacaPrompt.prompt(PromptStyle.ALPACA_SHORT, s.instruction(), s.input())).toList();
        GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(24).build();
        Path lora = dir.resolve("lora");
        List<Generator.Result> fromLoldu;
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedLlama.Loaded llama = PretrainedLlama.load(PretrainedLlama.ID, manager)) {
            PeftModel peft = PeftModel.load(llama.model(), adapter, false);
            fromLoldu = llama.generator().generate(prompts, greedy, null, TokenStream.NONE, manager);
            peft.exportLora(lora);
        }
        assertEquals("LORA", new ObjectMapper().readTree(lora.resolve(PeftModel.CONFIG_FILE).toFile())
                .path("peft_type").asText());
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedLlama.Loaded llama = PretrainedLlama.load(PretrainedLlama.ID, manager)) {
            PeftModel.load(llama.model(), lora, false);
            List<Generator.Result> fromLora = llama.generator().generate(prompts, greedy, null, TokenStream.NONE,
                    manager);
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(fromLoldu.get(i).tokens(), fromLora.get(i).tokens(), "prompt " + i + ": "
                        + prompts.get(i));
            }
        }
    }
}
