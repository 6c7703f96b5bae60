package dev.peft4j.models.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.peft4j.models.llama.LlamaConfig;
import dev.peft4j.models.llama.LlamaModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    /** Token id -> one letter, so text and tokens line up one to one (ids 0..2 are specials: no text). */
    private static final Function<int[], String> DECODE = ids -> {
        StringBuilder s = new StringBuilder();
        for (int id : ids) {
            if (id > 2) {
                s.append((char) ('A' + id % 26));
            }
        }
        return s.toString();
    };
    private static final int EOS = 2;

    private static NDManager manager;
    private static LlamaModel model;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        // init range 0.3: peaked next-token distributions, so greedy paths are not decided by rounding ties
        LlamaConfig config = LlamaConfig.tiny().withInitializerRange(0.3f);
        model = LlamaModel.random(config, 11, manager);
    }

    @AfterAll
    static void close() {
        model.close();
        manager.close();
    }

    private static List<Generator.Result> run(List<int[]> prompts, GenerationConfig config, boolean cache,
            TokenStream stream) {
        return new Generator(model).generate(new Generator.Request(prompts, config, Set.of(EOS), EOS, DECODE, null,
                cache), stream, manager);
    }

    private static GenerationConfig greedy(int tokens) {
        return GenerationConfig.builder().optMaxNewTokens(tokens).optStopAtEos(false).build();
    }

    @Test
    void theCachedPathGivesTheTokensOfFullReforwards() {
        List<int[]> prompts = List.of(new int[] {1, 5, 9, 13}, new int[] {1, 40}, new int[] {1, 7, 7, 30, 22, 61});
        List<Generator.Result> cached = run(prompts, greedy(20), true, TokenStream.NONE);
        List<Generator.Result> full = run(prompts, greedy(20), false, TokenStream.NONE);
        for (int r = 0; r < prompts.size(); r++) {
            assertArrayEquals(full.get(r).tokens(), cached.get(r).tokens(), "row " + r);
            assertEquals(20, cached.get(r).tokens().length);
            assertEquals(FinishReason.LENGTH, cached.get(r).reason());
        }
    }

    @Test
    void aPromptInABatchOfOtherLengthsGivesWhatItGivesAlone() {
        int[] shortPrompt = {1, 40};
        int[] longPrompt = {1, 7, 7, 30, 22, 61, 3, 3};
        List<Generator.Result> batch = run(List.of(shortPrompt, longPrompt), greedy(12), true, TokenStream.NONE);
        assertArrayEquals(run(List.of(shortPrompt), greedy(12), true, TokenStream.NONE).get(0).tokens(),
                batch.get(0).tokens());
        assertArrayEquals(run(List.of(longPrompt), greedy(12), true, TokenStream.NONE).get(0).tokens(),
                batch.get(1).tokens());
    }

    @Test
    void streamedPiecesJoinToTheResultAndEachRowFinishesOnce() {
        Map<Integer, StringBuilder> streamed = new HashMap<>();
        Map<Integer, FinishReason> finished = new HashMap<>();
        List<Integer> order = new ArrayList<>();
        TokenStream stream = new TokenStream() {
            @Override
            public void onText(int row, String newText) {
                assertTrue(!finished.containsKey(row), "text after the finish of row " + row);
                streamed.computeIfAbsent(row, k -> new StringBuilder()).append(newText);
                order.add(row);
            }

            @Override
            public void onFinish(int row, FinishReason reason) {
                assertEquals(null, finished.put(row, reason), "row " + row + " finished twice");
            }
        };
        List<Generator.Result> results = run(List.of(new int[] {1, 5}, new int[] {1, 9, 12}), greedy(15), true,
                stream);
        for (int r = 0; r < 2; r++) {
            assertEquals(results.get(r).text(), streamed.get(r).toString());
            assertEquals(results.get(r).reason(), finished.get(r));
            // one letter per generated token past the specials
            assertEquals(java.util.Arrays.stream(results.get(r).tokens()).filter(id -> id > 2).count(),
                    results.get(r).text().length());
        }
        assertTrue(order.size() >= 20, "text must arrive token by token, got " + order.size() + " pieces");
    }

    @Test
    void aStopStringCutsTheOutputAndEndsTheRow() {
        Generator.Result free = run(List.of(new int[] {1, 5, 9}), greedy(30), true, TokenStream.NONE).get(0);
        String stop = free.text().substring(6, 8);
        int at = free.text().indexOf(stop);
        GenerationConfig config = greedy(30).toBuilder().optStopStrings(stop).build();
        Generator.Result cut = run(List.of(new int[] {1, 5, 9}), config, true, TokenStream.NONE).get(0);
        assertEquals(free.text().substring(0, at), cut.text());
        assertEquals(FinishReason.STOP_STRING, cut.reason());
        assertEquals(at + stop.length(), cut.tokens().length, "generation stops at the token completing the stop");
    }

    @Test
    void endOfSequenceEndsARowAndFinishedRowsDoNotChangeTheOthers() {
        Generator.Result free = run(List.of(new int[] {1, 5, 9}), greedy(10), true, TokenStream.NONE).get(0);
        int eos = free.tokens()[3]; // pretend the model's 4th token ends the sequence
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(10).build();
        List<Generator.Result> both = new Generator(model).generate(new Generator.Request(
                List.of(new int[] {1, 5, 9}, new int[] {1, 33}), config, Set.of(eos), EOS, DECODE, null, true),
                TokenStream.NONE, manager);
        assertEquals(FinishReason.EOS, both.get(0).reason());
        assertEquals(4, both.get(0).tokens().length);
        Generator.Result alone = new Generator(model).generate(new Generator.Request(List.of(new int[] {1, 33}),
                config, Set.of(eos), EOS, DECODE, null, true), TokenStream.NONE, manager).get(0);
        assertArrayEquals(alone.tokens(), both.get(1).tokens());
    }

    @Test
    void seededSamplingRepeatsAndDiffersFromGreedy() {
        GenerationConfig sampling = GenerationConfig.builder().optMaxNewTokens(25).optTemperature(1.5)
                .optTopK(20).optTopP(0.95).optSeed(3).optStopAtEos(false).build();
        List<int[]> prompts = List.of(new int[] {1, 5, 9});
        int[] first = run(prompts, sampling, true, TokenStream.NONE).get(0).tokens();
        assertArrayEquals(first, run(prompts, sampling, true, TokenStream.NONE).get(0).tokens());
        assertArrayEquals(first, run(prompts, sampling, false, TokenStream.NONE).get(0).tokens());
        int[] greedyTokens = run(prompts, greedy(25), true, TokenStream.NONE).get(0).tokens();
        assertTrue(!java.util.Arrays.equals(first, greedyTokens), "sampling at temperature 1.5 followed greedy");
    }

    @Test
    void rowsWithTheirOwnConfigsGiveWhatEachGivesAloneWhateverTheirPlaceInTheBatch() {
        int[] a = {1, 5, 9};
        int[] b = {1, 40};
        int[] c = {1, 7, 7, 30, 22, 61};
        GenerationConfig shortGreedy = greedy(5);
        GenerationConfig sampled = GenerationConfig.builder().optMaxNewTokens(12).optTemperature(1.2).optTopP(0.9)
                .optSeed(7).optStopAtEos(false).build();
        Generator.Result freeC = run(List.of(c), greedy(20), true, TokenStream.NONE).get(0);
        GenerationConfig stopped = greedy(20).toBuilder().optStopStrings(freeC.text().substring(4, 6)).build();
        // the sampled row sits at batch index 1 but is seeded as row 0 of its own request
        List<Generator.Result> batch = new Generator(model).generate(new Generator.Request(List.of(a, b, c),
                shortGreedy, Set.of(EOS), EOS, DECODE, null, true, List.of(new Generator.RowConfig(shortGreedy, 0),
                new Generator.RowConfig(sampled, 0), new Generator.RowConfig(stopped, 0))), TokenStream.NONE, manager);
        Generator.Result aloneA = run(List.of(a), shortGreedy, true, TokenStream.NONE).get(0);
        Generator.Result aloneB = run(List.of(b), sampled, true, TokenStream.NONE).get(0);
        Generator.Result aloneC = run(List.of(c), stopped, true, TokenStream.NONE).get(0);
        assertArrayEquals(aloneA.tokens(), batch.get(0).tokens());
        assertEquals(5, batch.get(0).tokens().length);
        assertEquals(FinishReason.LENGTH, batch.get(0).reason());
        assertArrayEquals(aloneB.tokens(), batch.get(1).tokens());
        assertEquals(12, batch.get(1).tokens().length);
        assertArrayEquals(aloneC.tokens(), batch.get(2).tokens());
        assertEquals(FinishReason.STOP_STRING, batch.get(2).reason());
        assertEquals(aloneC.text(), batch.get(2).text());
        // seeded as row 1 instead, the sampled row draws other tokens: the seed row is what makes it repeatable
        List<Generator.Result> reseeded = new Generator(model).generate(new Generator.Request(List.of(b), sampled,
                Set.of(EOS), EOS, DECODE, null, true, List.of(new Generator.RowConfig(sampled, 1))), TokenStream.NONE,
                manager);
        assertTrue(!java.util.Arrays.equals(aloneB.tokens(), reseeded.get(0).tokens()),
                "seed rows 0 and 1 drew the same 12 tokens");
    }

    @Test
    void aRowConfigPerPromptIsRequired() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Generator.Request(
                List.of(new int[] {1, 5}, new int[] {1, 6}), greedy(3), Set.of(EOS), EOS, DECODE, null, true,
                List.of(new Generator.RowConfig(greedy(3), 0))));
        assertTrue(e.getMessage().contains("one row config per prompt (2), found 1"), e.getMessage());
    }

    @Test
    void tooLongARequestIsRefusedWithTheLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(List.of(new int[] {1, 2, 3}), greedy(62), true, TokenStream.NONE));
        assertTrue(e.getMessage().contains("64 positions"), e.getMessage());
    }
}
