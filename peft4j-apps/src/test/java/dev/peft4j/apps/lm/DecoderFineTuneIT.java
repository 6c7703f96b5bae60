package dev.peft4j.apps.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.generate.GenerationConfig;
import dev.peft4j.models.generate.Generator;
import dev.peft4j.models.generate.TokenStream;
import dev.peft4j.models.llama.PretrainedLlama;
import dev.peft4j.train.lm.EnglishCorpus;
import dev.peft4j.train.lm.LanguageModelPredictor;
import dev.peft4j.train.lm.TokenSequence;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.objective.CausalLmObjective;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LoLDU on all linear layers of the shipped decoder, on real text it never saw (held-out State of the Union
 * addresses): prompt-masked continuation training lowers the perplexity of the responses it trains on, the saved
 * adapter reloads to the same generation, and merged greedy generation gives the tokens of unmerged generation.
 */
class DecoderFineTuneIT {

    @TempDir
    Path dir;

    /** Each held-out document cut into 48-token prompts followed by 32-token responses. */
    private static List<TokenSequence> examples(List<EnglishCorpus.Document> documents, PretrainedLlama.Loaded llama) {
        List<TokenSequence> out = new ArrayList<>();
        for (EnglishCorpus.Document d : documents) {
            int[] ids = llama.tokenizer().encode(d.text(), true);
            for (int from = 0; from + 80 <= ids.length; from += 80) {
                out.add(new TokenSequence(Arrays.copyOfRange(ids, from, from + 80), 48));
            }
        }
        return out;
    }

    @Test
    void loLduFitsHeldOutAddressesAndMergedGenerationEqualsUnmerged() throws Exception {
        List<EnglishCorpus.Document> sotu = EnglishCorpus.load(ArtifactCache.defaultCache()).split().validation()
                .stream().filter(d -> d.source().equals(EnglishCorpus.SOTU)).toList();
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedLlama.Loaded llama = PretrainedLlama.load(PretrainedLlama.ID, manager)) {
            // every 4th sequence held out, so both parts span the same years (the addresses' style drifts)
            List<TokenSequence> all = examples(sotu, llama);
            List<TokenSequence> train = new ArrayList<>();
            List<TokenSequence> heldOut = new ArrayList<>();
            for (int i = 0; i < all.size() && heldOut.size() < 48; i++) {
                (i % 4 == 3 ? heldOut : train).add(all.get(i));
            }
            PeftModel peft = Peft.wrap(llama.model(), LolduConfig.builder().setRank(64)
                    .optTargetModules(TargetModules.allLinear()).build());
            Trainer<TokenSequence> trainer = new Trainer<>(new CausalLmObjective<>(new LanguageModelPredictor(
                    llama.model(), peft, llama.tokenizer().eosId())), TrainerConfig.builder().optEpochs(2)
                    .optBatchSize(16).optLearningRate(5e-3f).optSelectionMetric("perplexity").optSeed(1).build());
            double heldOutBefore = trainer.evaluate(heldOut).get("perplexity");
            double before = trainer.evaluate(train).get("perplexity");
            TrainResult result = trainer.fit(train, heldOut, heldOut);
            double after = trainer.evaluate(train).get("perplexity");
            // the objective must go down; held-out text is in the pretraining domain already, so a few hundred
            // sequences mostly overfit it (reported, not asserted)
            assertTrue(after < 0.97 * before, "training response perplexity " + before + " -> " + after);

            List<String> prompts = List.of("Fellow-Citizens of the Senate and House of Representatives:",
                    "The Congress");
            GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(20).build();
            List<Generator.Result> unmerged = llama.generator().generate(prompts, greedy, null, TokenStream.NONE,
                    manager);
            peft.save(dir.resolve("adapter"));
            peft.merge();
            List<Generator.Result> merged = llama.generator().generate(prompts, greedy, null, TokenStream.NONE,
                    manager);
            peft.unmerge();
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(unmerged.get(i).tokens(), merged.get(i).tokens(), "prompt " + i);
            }
            try (NDManager other = NDManager.newBaseManager();
                    PretrainedLlama.Loaded fresh = PretrainedLlama.load(PretrainedLlama.ID, other)) {
                PeftModel.load(fresh.model(), dir.resolve("adapter"), false);
                List<Generator.Result> reloaded = fresh.generator().generate(prompts, greedy, null,
                        TokenStream.NONE, other);
                for (int i = 0; i < prompts.size(); i++) {
                    assertEquals(unmerged.get(i).text(), reloaded.get(i).text());
                }
            }
            System.err.printf("decoder IT: LoLDU r=64 all-linear: training response perplexity %.2f -> %.2f, held-out "
                    + "%.2f -> %.2f (best epoch %d; %d train, %d held-out sequences); %s%n", before, after,
                    heldOutBefore, result.test().get("perplexity"), result.bestEpoch(), train.size(), heldOut.size(),
                    peft.trainableParametersReport());
        }
    }
}
