package dev.peft4j.apps.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.hub.ArtifactCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The smoke presets end to end: real MiniLM weights on Reuters-grain (then a resumed re-run), and the shipped ViT on
 * real MNIST digits.
 */
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
        assertEquals(9, cells.size());
        // LoLDU's grid: 2 learning rates on seed 1 (the chosen one is seed 1's cell), then seeds 2 and 3; each probe: 3
        assertEquals(10, executed.get());
        com.fasterxml.jackson.databind.JsonNode selection = ExperimentRunner.JSON.readTree(
                tmp.resolve("lr_selection.json").toFile()).get(0);
        assertEquals(2, selection.get("grid").size());
        double bestValidation = Double.NEGATIVE_INFINITY;
        double bestLoss = Double.POSITIVE_INFINITY;
        double bestLr = Double.NaN;
        for (com.fasterxml.jackson.databind.JsonNode point : selection.get("grid")) {
            assertTrue(point.get("validation").isNumber(), "a real run records its validation score: " + point);
            assertTrue(point.get("validation_loss").isNumber(), "and its validation loss: " + point);
            double validation = point.get("validation").asDouble();
            double loss = point.get("validation_loss").asDouble();
            if (validation > bestValidation || (validation == bestValidation && loss < bestLoss)) {
                bestValidation = validation;
                bestLoss = loss;
                bestLr = point.get("lr").asDouble();
            }
        }
        assertEquals(bestLr, selection.get("chosen_lr").asDouble(), 0,
                "the best validation F1 wins, a tie the lower validation loss: " + selection);
        String md = Files.readString(tmp.resolve("results.md"));
        assertTrue(md.contains("| LoLDU r=8 q,v | 96 |"), md); // 6 layers x (query, value) x r = 8
        assertTrue(md.contains("| Linear probe | 0 |"), md);
        assertTrue(Files.exists(tmp.resolve("params-vs-reuters-grain.png")));
        assertTrue(Files.exists(tmp.resolve("loss-reuters-grain.png")), "training-loss curves");
        // 64 examples in batches of 16: 4 steps, a pass after step 2 (eval_every) and at the epoch's end
        for (CellResult loldu : cells.subList(0, 3)) {
            assertEquals(List.of(2, 4), loldu.curve().stream().map(CellResult.CurvePoint::step).toList());
            assertEquals(loldu.validation(), loldu.curve().get(1).validation(), "one epoch: its end is the best");
        }
        assertTrue(Files.exists(tmp.resolve("convergence-reuters-grain.png")), "the convergence plot");
        assertEquals(1, cells.get(3).curve().size(), "a row without a curve validates at epoch ends only");
        for (CellResult probe : cells.subList(6, 9)) {
            assertEquals("Logistic probe", probe.label());
            assertEquals(0, probe.adapterParams());
            assertTrue(probe.validation() != null && probe.score() >= 0 && probe.score() <= 1, probe.toString());
        }
        assertTrue(md.contains("mean ± standard deviation over seeds"), md);
        new ExperimentRunner(counting).run(config, tmp);
        assertEquals(10, executed.get(), "a finished cell is not recomputed");
    }

    @Test
    void visionSmokeGridAdaptsTheShippedVitToMnist(@TempDir Path tmp) throws Exception {
        ExperimentConfig config = ExperimentConfig.preset("vit-smoke");
        List<CellResult> cells = new ExperimentRunner(new InProcessCellExecutor(ArtifactCache.defaultCache()))
                .run(config, tmp);
        assertEquals(4, cells.size());
        CellResult loldu = cells.get(0);
        assertEquals(49 + 4 * 6 * 64, loldu.adapterParams()); // patch projection capped at 49, 6 layers x 4 blocks
        assertEquals(650, loldu.headParams());
        assertTrue(loldu.score() > 0.2, "well above chance (0.1) after 8 steps: " + loldu.score());
        assertEquals(4 * (4 * 6 + 1), cells.get(2).adapterParams(), "r=4 on all 25 linear layers");
        assertTrue(Files.exists(tmp.resolve("cells/LoLDU_r_64_all-linear__mnist__s1.json")));
        assertTrue(Files.exists(tmp.resolve("runs/LoLDU_r_64_all-linear__mnist__s1/adapter/adapter_model.safetensors")));
        assertTrue(Files.exists(tmp.resolve("sweep-rank.png")));
    }

    @Test
    void decoderSmokeGridInstructionTunesTheShippedDecoderOnWordNet(@TempDir Path tmp) throws Exception {
        ExperimentConfig config = ExperimentConfig.preset("decoder-smoke");
        List<CellResult> cells = new ExperimentRunner(new InProcessCellExecutor(ArtifactCache.defaultCache()))
                .run(config, tmp);
        assertEquals(3, cells.size());
        CellResult base = cells.get(0);
        assertEquals(0, base.adapterParams(), "the row without fine-tuning trains nothing");
        assertEquals(0, base.bestEpoch());
        for (CellResult cell : cells) {
            assertEquals("perplexity", cell.metric());
            assertTrue(cell.score() > 1 && Double.isFinite(cell.score()), "a response perplexity: " + cell);
            assertEquals(java.util.Set.of("antonym", "define", "hypernym", "synonym", "average"),
                    cell.scores().keySet());
            assertEquals(4 * 3, cell.generations().size(), "three generations of each kind are kept");
        }
        // 4 layers x (q_proj 256 -> 256, v_proj 256 -> 128 with 2 key-value heads of 64) x r (in + out)
        assertEquals(4 * (8 * (256 + 256) + 8 * (256 + 128)), cells.get(1).adapterParams());
        assertEquals(4 * 2 * 16, cells.get(2).adapterParams(), "LoLDU: r per targeted layer");
        assertTrue(cells.get(2).score() < base.score(), "training lowers the held-out response perplexity: "
                + base.score() + " -> " + cells.get(2).score());
        String md = Files.readString(tmp.resolve("results.md"));
        assertTrue(md.contains("| w/o FT | 0 |"), md);
        assertTrue(md.contains("generations side by side"), md);
        assertTrue(md.contains("learning rates chosen on validation"), md);
        assertTrue(Files.exists(tmp.resolve("kinds-wordnet.png")));
        assertTrue(Files.exists(tmp.resolve("params-vs-wordnet.png")));
    }
}
