package dev.peft4j.models.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class GenerationConfigTest {

    @Test
    void defaultsAreGreedyWithFiltersOff() {
        GenerationConfig config = GenerationConfig.builder().build();
        assertEquals(64, config.maxNewTokens());
        assertEquals(0, config.temperature());
        assertTrue(config.greedy());
        assertEquals(0, config.topK());
        assertEquals(1.0, config.topP());
        assertEquals(List.of(), config.stopStrings());
        assertEquals(42, config.seed());
        assertTrue(config.stopAtEos());
    }

    @Test
    void builderSetsEveryFieldAndToBuilderRoundTrips() {
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(7).optTemperature(0.7).optTopK(40)
                .optTopP(0.9).optStopStrings("\n\n", "User:").optSeed(-3).optStopAtEos(false).build();
        assertEquals(7, config.maxNewTokens());
        assertEquals(0.7, config.temperature());
        assertFalse(config.greedy());
        assertEquals(40, config.topK());
        assertEquals(0.9, config.topP());
        assertEquals(List.of("\n\n", "User:"), config.stopStrings());
        assertEquals(-3, config.seed());
        assertFalse(config.stopAtEos());
        assertEquals(config, config.toBuilder().build());
        assertEquals(5, config.toBuilder().optMaxNewTokens(5).build().maxNewTokens());
    }

    @Test
    void stopStringsAreCopiedAndImmutable() {
        List<String> stops = new ArrayList<>(List.of("a"));
        GenerationConfig config = GenerationConfig.builder().optStopStrings(stops).build();
        stops.add("b");
        assertEquals(List.of("a"), config.stopStrings());
        assertThrows(UnsupportedOperationException.class, () -> config.stopStrings().add("c"));
    }

    @Test
    void rejectsOutOfRangeValuesWithMessagesThatSayWhatToDo() {
        assertMessage(GenerationConfig.builder().optMaxNewTokens(0), "expected at least 1, found 0");
        assertMessage(GenerationConfig.builder().optTemperature(-0.1), "found -0.1");
        assertMessage(GenerationConfig.builder().optTemperature(Double.NaN), "found NaN");
        assertMessage(GenerationConfig.builder().optTemperature(Double.POSITIVE_INFINITY), "finite");
        assertMessage(GenerationConfig.builder().optTopK(-1), "found -1");
        assertMessage(GenerationConfig.builder().optTopP(0), "(0, 1]");
        assertMessage(GenerationConfig.builder().optTopP(1.01), "found 1.01");
        assertMessage(GenerationConfig.builder().optTopP(Double.NaN), "found NaN");
        assertMessage(GenerationConfig.builder().optStopStrings((List<String>) null), "found null");
        assertMessage(GenerationConfig.builder().optStopStrings("ok", ""), "empty string at index 1; remove it");
        assertMessage(GenerationConfig.builder().optStopStrings(Arrays.asList("ok", null)), "null at index 1");
    }

    @Test
    void acceptsBoundaryValues() {
        GenerationConfig config = GenerationConfig.builder().optMaxNewTokens(1).optTemperature(1e-6).optTopP(1e-9)
                .optTopK(1).build();
        assertFalse(config.greedy());
    }

    private static void assertMessage(GenerationConfig.Builder builder, String expectedPart) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
        assertTrue(e.getMessage().contains(expectedPart), () -> "message '" + e.getMessage() + "' lacks '"
                + expectedPart + "'");
    }
}
