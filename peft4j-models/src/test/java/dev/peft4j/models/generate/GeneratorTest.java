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
    void tooLongARequestIsRefusedWithTheLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(List.of(new int[] {1, 2, 3}), greedy(62), true, TokenStream.NONE));
        assertTrue(e.getMessage().contains("64 positions"), e.getMessage());
    }
}
