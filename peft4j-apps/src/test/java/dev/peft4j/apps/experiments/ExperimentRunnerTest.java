package dev.peft4j.apps.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner's bookkeeping with a stand-in executor: which cells run, which are reused, what is plotted. */
class ExperimentRunnerTest {

    @Test
    void aRowThatTrainsWhatAnEarlierRowTrainsReusesItsRunsUnderItsOwnLabel(@TempDir Path tmp) throws Exception {
        ExperimentConfig config = ExperimentConfig.preset("vit-smoke"); // "r=64" (group rank) = the main LoLDU row
        List<String> executed = new ArrayList<>();
        CellExecutor fake = (c, row, task, seed, dir) -> {
            executed.add(row.label());
            double score = 0.5 + row.methodSpec().rank() / 1000.0;
            return new CellResult(row.label(), row.groupOrMain(), task, seed, "accuracy", score, score, score, 1,
                    row.methodSpec().rank(), 650, 1, 1, 1, 1);
        };
        List<CellResult> cells = new ExperimentRunner(fake).run(config, tmp);
        assertEquals(List.of("LoLDU r=64 all-linear", "LP (linear probe)", "r=4"), executed);
        assertEquals(4, cells.size());
        CellResult reused = cells.get(3);
        assertEquals("r=64", reused.label());
        assertEquals("rank", reused.group());
        assertEquals(cells.get(0).score(), reused.score());
        assertTrue(Files.exists(tmp.resolve("cells/r_64__mnist__s1.json")), "the reused cell is recorded too");
        assertTrue(Files.size(tmp.resolve("sweep-rank.png")) > 1000, "rank sweep plot");
        assertTrue(Files.readString(tmp.resolve("results.md")).contains("| r=4 | 4 | 650 | 50.40 |"));
    }

    @Test
    void workersRunCellsAtOnceAndAFailedCellCostsOnlyItself(@TempDir Path tmp) throws Exception {
        ExperimentConfig config = ExperimentConfig.preset("minilm-table1"); // 9 rows x 2 tasks x 3 seeds
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        CellExecutor slow = (c, row, task, seed, dir) -> {
            mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                throw new IOException(e);
            } finally {
                running.decrementAndGet();
            }
            if (row.method().equals("vera") && seed == 2) {
                throw new IOException("cell failed on purpose");
            }
            return new CellResult(row.label(), row.groupOrMain(), task, seed, "accuracy", 0.5, 0.5, 0.5, 1, 1, 1, 1,
                    1, 1, 1);
        };
        IOException e = assertThrows(IOException.class, () -> new ExperimentRunner(slow, 3).run(config, tmp));
        assertTrue(e.getMessage().contains("cell failed on purpose"), e.getMessage());
        assertTrue(mostAtOnce.get() > 1 && mostAtOnce.get() <= 3, "at most 3 at once: " + mostAtOnce.get());
        try (var files = Files.list(tmp.resolve("cells"))) {
            assertEquals(9 * 2 * 3 - 2, files.count(), "every cell but VeRA's two seed-2 cells was recorded");
        }
        List<CellResult> rerun = new ExperimentRunner((c, row, task, seed, dir) -> new CellResult(row.label(),
                row.groupOrMain(), task, seed, "accuracy", 0.5, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1), 3).run(config, tmp);
        assertEquals(54, rerun.size());
        assertEquals("LoLDU r=64 all-linear", rerun.get(0).label(), "results come back in config order");
    }

    @Test
    void rowsDifferingOnlyInAnExplicitDefaultAreTheSameRun() throws Exception {
        ExperimentConfig config = ExperimentConfig.preset("minilm-ablations");
        ExperimentConfig.MethodRow initLu = row(config, "init lu");
        assertTrue(row(config, "lr 3e-3").sameRunAs(initLu, config.defaults()), "lr 3e-3 is the default lr");
        assertTrue(row(config, "r=64").sameRunAs(initLu, config.defaults()));
        assertTrue(!row(config, "sigma trained").sameRunAs(initLu, config.defaults()));
        assertTrue(!row(config, "init uniform").sameRunAs(initLu, config.defaults()));
    }

    private static ExperimentConfig.MethodRow row(ExperimentConfig config, String label) {
        return config.methods().stream().filter(r -> r.label().equals(label)).findFirst().orElseThrow();
    }
}
