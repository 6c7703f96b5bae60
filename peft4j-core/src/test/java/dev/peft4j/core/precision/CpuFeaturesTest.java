package dev.peft4j.core.precision;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class CpuFeaturesTest {

    @Test
    void readsTheFirstCoresModelAndFlags() {
        CpuFeatures sapphireRapids = CpuFeatures.parse(List.of("processor\t: 0",
                "model name\t: Intel(R) Xeon(R) Platinum 8480+", "flags\t\t: fpu avx2 fma avx512f avx512_bf16 amx_bf16 "
                        + "amx_tile", "", "processor\t: 1", "model name\t: other", "flags\t\t: fpu"));
        assertEquals("Intel(R) Xeon(R) Platinum 8480+", sapphireRapids.model());
        assertTrue(sapphireRapids.hasBf16MatrixUnits());
        assertEquals("avx2 fma avx512f avx512_bf16 amx_tile amx_bf16", sapphireRapids.reportedFlags());

        CpuFeatures epyc = CpuFeatures.parse(List.of("model name\t: AMD EPYC", "flags\t\t: fpu fma avx avx2"));
        assertFalse(epyc.hasBf16MatrixUnits());
        assertEquals("avx2 fma", epyc.reportedFlags());
        CpuFeatures zen4 = CpuFeatures.parse(List.of("flags\t\t: avx2 avx512f avx512_bf16"));
        assertTrue(zen4.hasBf16MatrixUnits(), "the AVX-512 bf16 dot product counts without AMX");
    }

    @Test
    void aMachineWithoutCpuinfoHasNoFlagsAndFp32IsChosen() {
        CpuFeatures none = CpuFeatures.read(Path.of("/nonexistent/cpuinfo"));
        assertTrue(none.flags().isEmpty());
        assertFalse(none.hasBf16MatrixUnits());
    }

    @Test
    void precisionParsesTheCliSpellingsAndNamesWhatItExpects() {
        assertEquals(Precision.FP32, Precision.parse("fp32"));
        assertEquals(Precision.BF16, Precision.parse(" BF16 "));
        assertEquals(CpuFeatures.current().hasBf16MatrixUnits() ? Precision.BF16 : Precision.FP32,
                Precision.parse("auto"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.parse("fp16"));
        assertTrue(e.getMessage().contains("'fp16'") && e.getMessage().contains("fp32, bf16 or auto"),
                e.getMessage());
    }
}
