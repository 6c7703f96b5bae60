package dev.peft4j.apps.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.core.adapter.AdapterConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MethodSpecTest {

    private static MethodSpec spec(String method, int rank, Map<String, Object> extra) {
        return new MethodSpec(method, rank, null, null, List.of("all-linear"), false, extra);
    }

    @Test
    void aFieldTheMethodReadsIsApplied() {
        AdapterConfig config = spec("fourierft", 8, Map.of("n_frequency", 123L)).toConfig(List.of("classifier"));
        assertEquals(123, ((Number) config.methodFields().get("n_frequency")).intValue());
    }

    @Test
    void adaLorasRanksAndScheduleArriveAsMethodArgs() {
        AdapterConfig config = spec("adalora", 8, Map.of("init_r", 16L, "target_r", 4L, "tinit", 5L))
                .toConfig(List.of("classifier"));
        assertEquals(List.of(16, 4, 5), List.of(config.methodFields().get("init_r"), config.methodFields().get("target_r"),
                config.methodFields().get("tinit")));
    }

    @Test
    void anUnknownFieldIsRefusedListingTheAcceptedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> spec("loldu", 8, Map.of("n_frequncy", 10L)).toConfig(List.of("classifier")));
        assertTrue(e.getMessage().startsWith("Unknown --method-arg [n_frequncy] for method 'loldu'; it accepts ["),
                e.getMessage());
        assertTrue(e.getMessage().contains("init_seed") && e.getMessage().contains("lora_alpha"), e.getMessage());
    }

    @Test
    void rankAndAlphaAreRangeChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec("lora", 0, Map.of()));
        assertEquals("--rank must be at least 1, found 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MethodSpec("lora", 8, Float.NaN, null,
                List.of("all-linear"), false, Map.of()));
        assertTrue(e.getMessage().startsWith("--alpha must be a positive number"), e.getMessage());
    }
}
