package dev.peft4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchReportTest {

    @Test
    void tableAlignsColumnsToTheWidestCell() {
        Section section = new Section("train", "Training step", List.of("method", "median ms", "/floor"),
                List.of(List.of("floor", "5120", Section.times(1.0)), List.of("loldu r=64 q,v", "5400",
                        Section.times(5400.0 / 5120))), Map.of(), List.of("note one"));
        String[] lines = section.format().split("\n");
        assertEquals("== Training step ==", lines[0]);
        assertEquals("method          median ms  /floor", lines[1]);
        assertEquals("--------------  ---------  ------", lines[2]);
        assertEquals("floor                5120   1.00x", lines[3]);
        assertEquals("loldu r=64 q,v       5400   1.05x", lines[4]);
        assertEquals("  note one", lines[5]);
    }

    @Test
    void rowsMustBeAsWideAsTheHeader() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Section("x", "X",
                List.of("a", "b"), List.of(List.of("only one")), null, List.of()));
        assertTrue(e.getMessage().contains("has 1 cells but the header [a, b] has 2"), e.getMessage());
    }

    @Test
    void numbersUseTheRootLocaleAndBinaryUnits() {
        assertEquals("1234.5", Section.fixed(1234.49, 1));
        assertEquals("n/a", Section.fixed(Double.NaN, 1));
        assertEquals("53.1%", Section.percent(0.5312));
        assertEquals("512 B", Section.bytes(512));
        assertEquals("3.0 KiB", Section.bytes(3 * 1024));
        assertEquals("87.3 MiB", Section.bytes((long) (87.3 * 1024 * 1024)));
    }

    @Test
    void targetsCompareInTheirDirection() {
        assertTrue(new Target("a", 1.05, 1.10, false).met());
        assertFalse(new Target("a", 1.15, 1.10, false).met());
        assertTrue(new Target("c", 0.6, 0.5, true).met());
        assertFalse(new Target("c", 0.4, 0.5, true).met());
    }

    @Test
    void writesJsonWithSectionsAndVerdicts(@TempDir Path dir) throws Exception {
        BenchReport report = new BenchReport("unit", Map.of("started", "now", "cores", 2));
        report.add(new Section("gemm", "Compute ceiling", List.of("op", "GFLOP/s"), List.of(List.of("matMul", "60.0")),
                Map.of("ceiling_gflops", 60.0), List.of()));
        report.add(new Target("loldu / floor", 1.2, 1.10, false));
        Path file = report.write(dir);
        assertEquals(dir.resolve("unit.json"), file);
        Map<?, ?> json = new ObjectMapper().readValue(Files.readString(file), Map.class);
        assertEquals("unit", json.get("name"));
        assertEquals(60.0, ((Map<?, ?>) json.get("gemm")).get("ceiling_gflops"));
        Map<?, ?> target = (Map<?, ?>) ((List<?>) json.get("targets")).get(0);
        assertEquals(Boolean.FALSE, target.get("met"));
        assertEquals(1.10, target.get("at_most"));
        String table = report.table();
        assertTrue(table.contains("loldu / floor     1.200  <= 1.10   MISSED"), table);
    }

    @Test
    void samplesReportTheMedian() {
        Samples samples = new Samples(new double[] {0.3, 0.1, 0.2, 9.0});
        // double statistics of given samples in Java (the same on every CPU): at most a rounding of the mean of two
        assertEquals(0.25, samples.median(), 1e-12);
        assertEquals(0.1, samples.min(), 1e-12);
        assertEquals(9.0, samples.max(), 1e-12);
    }
}
