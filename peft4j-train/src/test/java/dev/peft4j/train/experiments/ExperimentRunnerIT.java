package dev.peft4j.train.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.train.data.ArtifactCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The smoke preset end to end on real MiniLM weights and Reuters-grain, then a resumed re-run. */
class ExperimentRunnerIT {

    @Test
    void smokeGridRunsAndResumesWithoutRecomputing(@TempDir Path tmp) throws Exception {
        ExperimentConfig config = ExperimentConfig.preset("smoke");
        AtomicInteger executed = new AtomicInteger();
        InProcessCellExecutor real = new InProcessCellExecutor(ArtifactCache.defaultCache());
        CellExecutor counting = (c, row, task, seed, dir) -> {
            executed.incrementAndGet();
            return real.run(c, row, task, seed, dir);
        };
        List<CellResult> cells = new ExperimentRunner(counting).run(config, tmp);
        assertEquals(6, cells.size());
        assertEquals(6, executed.get());
        String md = Files.readString(tmp.resolve("results.md"));
        assertTrue(md.contains("| LoLDU r=8 q,v | 96 |"), md); // 6 layers x (query, value) x r = 8
        assertTrue(md.contains("| Linear probe | 0 |"), md);
        assertTrue(Files.exists(tmp.resolve("params-vs-reuters-grain.png")));
        assertTrue(Files.exists(tmp.resolve("loss-reuters-grain.png")), "training-loss curves");
        new ExperimentRunner(counting).run(config, tmp);
        assertEquals(6, executed.get(), "a finished cell is not recomputed");
    }
}
