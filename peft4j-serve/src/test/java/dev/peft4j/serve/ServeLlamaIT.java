package dev.peft4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.peft4j.core.adapter.AdapterSelection;
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
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.objective.CausalLmObjective;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decoder server on real weights and real text: a LoLDU adapter trained briefly on the shipped llama-en-4m with
 * held-out State of the Union addresses, uploaded for one tenant; its served completions, whole and streamed and
 * batched with another tenant's base requests, equal the in-process generation of the reloaded adapter; another
 * tenant cannot use it; a restarted server serves it again.
 */
class ServeLlamaIT {

    private static final List<String> PROMPTS = List.of("Fellow-Citizens of the Senate and House of Representatives:",
            "The Congress");
    private static final int TOKENS = 24;

    @TempDir
    Path dir;

    /** Held-out addresses cut into 48-token prompts followed by 32-token responses (the loss counts those). */
    private static List<TokenSequence> examples(PretrainedLlama.Loaded llama) throws IOException {
        List<TokenSequence> out = new ArrayList<>();
        for (EnglishCorpus.Document d : EnglishCorpus.load(ArtifactCache.defaultCache()).split().validation()) {
            if (!d.source().equals(EnglishCorpus.SOTU)) {
                continue;
            }
            int[] ids = llama.tokenizer().encode(d.text(), true);
            for (int from = 0; from + 80 <= ids.length && out.size() < 48; from += 80) {
                out.add(new TokenSequence(Arrays.copyOfRange(ids, from, from + 80), 48));
            }
        }
        return out;
    }

    @Test
    void aTrainedAdapterIsServedAsInProcessGenerationToItsTenantOnly() throws Exception {
        Path adapter = dir.resolve("adapter");
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedLlama.Loaded llama = PretrainedLlama.load(PretrainedLlama.ID, manager)) {
            List<TokenSequence> data = examples(llama);
            PeftModel peft = Peft.wrap(llama.model(), LolduConfig.builder().setRank(16)
                    .optTargetModules(TargetModules.allLinear()).build());
            Trainer<TokenSequence> trainer = new Trainer<>(new CausalLmObjective<>(new LanguageModelPredictor(
                    llama.model(), peft, llama.tokenizer().eosId())), TrainerConfig.builder().optEpochs(1)
                    .optBatchSize(8).optLearningRate(1e-2f).optSelectionMetric("perplexity").optSeed(1).build());
            List<TokenSequence> train = data.subList(0, 40);
            List<TokenSequence> heldOut = data.subList(40, data.size());
            double before = trainer.evaluate(train).get("perplexity");
            trainer.fit(train, heldOut, heldOut);
            double after = trainer.evaluate(train).get("perplexity");
            assertTrue(after < before, "training response perplexity " + before + " -> " + after);
            peft.save(adapter);
        }
        GenerationConfig greedy = GenerationConfig.builder().optMaxNewTokens(TOKENS).build();
        List<Generator.Result> expected;
        List<Generator.Result> expectedBase;
        try (NDManager manager = NDManager.newBaseManager();
                PretrainedLlama.Loaded fresh = PretrainedLlama.load(PretrainedLlama.ID, manager)) {
            PeftModel.load(fresh.model(), adapter, false);
            expected = fresh.generator().generate(PROMPTS, greedy, AdapterSelection.of(PeftModel.DEFAULT_ADAPTER),
                    TokenStream.NONE, manager);
            expectedBase = fresh.generator().generate(PROMPTS, greedy, AdapterSelection.base(), TokenStream.NONE,
                    manager);
        }
        assertNotEquals(expectedBase.get(0).text(), expected.get(0).text(), "the adapter must change the text");

        Path state = dir.resolve("state");
        ApiKeys keys = ApiKeys.open(state);
        String admin = keys.initAdmin();
        String acme = keys.createTenantKey("acme");
        String globex = keys.createTenantKey("globex");
        String request = CompletionsServerTest.body("model", "sotu", "prompt", PROMPTS, "max_tokens", TOKENS,
                "temperature", 0);
        try (ServeServer server = start(keys, state, ServeLimits.defaults().withWait(200))) {
            HttpResponse<String> put = Multipart.put(server.port(), admin, "acme", "sotu", Multipart.filesOf(adapter));
            assertEquals(200, put.statusCode(), put.body());
            Http http = new Http(server.port());
            // the tenant's adapter and another tenant's base requests in one gathering window
            CompletableFuture<HttpResponse<String>> mine = http.sendAsync("POST", "/v1/completions", acme, request);
            CompletableFuture<HttpResponse<String>> base = http.sendAsync("POST", "/v1/completions", globex,
                    CompletionsServerTest.body("model", "base", "prompt", PROMPTS, "max_tokens", TOKENS,
                            "temperature", 0));
            assertTexts(expected, mine.get());
            assertTexts(expectedBase, base.get());

            HttpResponse<String> streamed = http.send("POST", "/v1/completions", acme, CompletionsServerTest.body(
                    "model", "sotu", "prompt", PROMPTS.get(0), "max_tokens", TOKENS, "temperature", 0, "stream",
                    true));
            StringBuilder text = new StringBuilder();
            for (String event : CompletionsServerTest.events(streamed.body())) {
                if (!event.equals("[DONE]")) {
                    text.append(Http.JSON.readTree(event).get("choices").get(0).get("text").asText());
                }
            }
            assertEquals(expected.get(0).text(), text.toString());
            HttpResponse<String> others = http.send("POST", "/v1/completions", globex, request);
            assertEquals(404, others.statusCode(), others.body());
        }
        try (ServeServer restarted = start(ApiKeys.open(state), state, ServeLimits.defaults())) {
            assertTexts(expected, new Http(restarted.port()).send("POST", "/v1/completions", acme, request));
        }
    }

    private static ServeServer start(ApiKeys keys, Path state, ServeLimits limits) throws IOException {
        AdapterStore store = new AdapterStore(state, ServedDecoder.open(PretrainedLlama.ID));
        assertTrue(store.restore().isEmpty(), "every stored adapter restores");
        return new ServeServer(keys, store, limits).start("127.0.0.1", 0);
    }

    /** Greedy decoding picks the same tokens served and in process: the texts and finishes are equal. */
    private static void assertTexts(List<Generator.Result> expected, HttpResponse<String> response) {
        assertEquals(200, response.statusCode(), response.body());
        JsonNode choices = Http.json(response).get("choices");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).text(), choices.get(i).get("text").asText(), "prompt " + i);
            assertEquals(expected.get(i).reason().apiValue(), choices.get(i).get("finish_reason").asText());
        }
    }
}
