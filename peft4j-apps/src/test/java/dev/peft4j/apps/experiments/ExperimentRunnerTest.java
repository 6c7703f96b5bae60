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
    void selectingARowWhoseRunsAnUnselectedRowOwnsTrainsThoseRunsOnce(@TempDir Path tmp) throws Exception {
        ExperimentConfig config = ExperimentConfig.preset("minilm-ablations-budget"); // r=64 = sigma frozen = init lu
        List<String> executed = java.util.Collections.synchronizedList(new ArrayList<>());
        CellExecutor fake = (c, row, task, seed, dir) -> {
            executed.add(row.label() + " s" + seed);
            return new CellResult(row.label(), row.groupOrMain(), task, seed, "accuracy", 0.9, 0.9, 0.9, 1,
                    row.methodSpec().rank(), 650, 1, 1, 1, 1);
        };
        ExperimentRunner runner = new ExperimentRunner(fake);
        List<CellResult> results = runner.run(config, tmp, new ExperimentScope(java.util.Set.of("spam"),
                List.of("r=64", "sigma"), false));

        List<String> sorted = new ArrayList<>(executed);
        sorted.sort(null);
        assertEquals(List.of("init lu s1", "init lu s2", "init lu s3", "sigma trained s1", "sigma trained s2",
                "sigma trained s3"), sorted, "the shared run once per seed, though two selected rows share it");
        assertEquals(3, results.stream().filter(r -> r.label().equals("r=64")).count());
        assertEquals(3, results.stream().filter(r -> r.label().equals("sigma frozen")).count());
        assertTrue(Files.exists(tmp.resolve("cells/init_lu__spam__s2.json")), "recorded under its owner's label");

        executed.clear();
        runner.run(config, tmp, new ExperimentScope(java.util.Set.of("spam"), List.of("init"), false));
        assertEquals(15, executed.size(), "init lu's runs are finished: the other five inits, 3 seeds: " + executed);
        assertTrue(executed.stream().noneMatch(call -> call.startsWith("init lu")), executed.toString());
    }

    private static final String GRID_CONFIG = "{\"name\": \"grid\", \"model\": \"all-minilm-l6-v2\", "
            + "\"tasks\": [\"spam\", \"reuters-grain\"], \"metrics\": {\"reuters-grain\": \"loss\"}, "
            + "\"seeds\": [1, 2, 3], \"methods\": ["
            + "{\"label\": \"LoLDU\", \"method\": \"loldu\", \"lr_grid\": [1e-4, 1e-3, 1e-2], "
            + "\"head_lr_grid\": [2e-3]}, {\"label\": \"LoRA\", \"method\": \"lora\", \"rank\": 8}]}";

    private static ExperimentConfig config(String json) throws IOException {
        return ExperimentConfig.read(new java.io.ByteArrayInputStream(json.getBytes(
                java.nio.charset.StandardCharsets.UTF_8)), "test");
    }

    @Test
    void aGridRowChoosesItsLearningRatesOnValidationAndRunsTheSeedsThere(@TempDir Path tmp) throws Exception {
        ExperimentConfig config = config(GRID_CONFIG);
        List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        CellExecutor fake = gridExecutor(calls);
        List<CellResult> results = new ExperimentRunner(fake).run(config, tmp);
        // LoLDU: 3 points x 2 tasks on seed 1, then seeds 2 and 3 at the choice; LoRA: 3 seeds x 2 tasks
        assertEquals(6 + 4 + 6, calls.size(), calls.toString());
        assertTrue(calls.stream().filter(call -> call.startsWith("LoLDU") && !call.contains(" s1 "))
                .allMatch(call -> call.endsWith("lr 0.001")), calls.toString());
        assertEquals(12, results.size());
        CellResult selectionSeedCell = results.get(0);
        assertEquals("LoLDU", selectionSeedCell.label());
        assertEquals(1, selectionSeedCell.seed());
        assertEquals(0.5, selectionSeedCell.score(), 0, "seed 1's cell is the grid run at the chosen 1e-3");

        com.fasterxml.jackson.databind.JsonNode selections = ExperimentRunner.JSON.readTree(
                tmp.resolve("lr_selection.json").toFile());
        assertEquals(2, selections.size());
        for (com.fasterxml.jackson.databind.JsonNode selection : selections) {
            assertEquals(0.001, selection.get("chosen_lr").asDouble(), 1e-9, selection.toString());
            assertEquals(0.002, selection.get("chosen_head_lr").asDouble(), 1e-9);
            assertEquals(3, selection.get("grid").size(), "every point's scores are recorded");
        }
        assertEquals(2, ExperimentRunner.JSON.readTree(tmp.resolve("results.json").toFile()).get("lr_selection")
                .size());
        assertTrue(Files.readString(tmp.resolve("results.md"))
                .contains("| LoLDU | reuters-grain | 1 | 3 | 0.00100000 | 0.00200000 | 0.1000 | 1 |"),
                Files.readString(tmp.resolve("results.md")));

        assertTrue(Files.exists(tmp.resolve("cells/LoLDU__spam__s2__lr0.001__head0.002.json")),
                "a grid row's cells name their rates, so a changed grid never reads back runs at other rates");
        assertTrue(Files.exists(tmp.resolve("cells/grid__LoLDU__spam__s1__lr1.0E-4__head0.002.json")));

        calls.clear();
        new ExperimentRunner(fake).run(config, tmp);
        assertEquals(List.of(), calls, "a finished grid and its seeds are never redone");
    }

    @Test
    void aGridRowsSeedsRunAsSoonAsItsOwnGridIsFinished(@TempDir Path tmp) throws Exception {
        ExperimentConfig config = config(GRID_CONFIG.replace("\"tasks\": [\"spam\", \"reuters-grain\"]",
                "\"tasks\": [\"spam\"]").replace("\"method\": \"lora\", \"rank\": 8",
                "\"method\": \"lora\", \"rank\": 8, \"lr_grid\": [1e-3, 1e-2]"));
        List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        new ExperimentRunner(gridExecutor(calls)).run(config, tmp);
        assertEquals(List.of("LoLDU spam s1 lr 1.0E-4", "LoLDU spam s1 lr 0.001", "LoLDU spam s1 lr 0.01",
                "LoLDU spam s2 lr 0.001", "LoLDU spam s3 lr 0.001", "LoRA spam s1 lr 0.001", "LoRA spam s1 lr 0.01",
                "LoRA spam s2 lr 0.001", "LoRA spam s3 lr 0.001"), calls, "with one worker, in this order");
        com.fasterxml.jackson.databind.JsonNode selections = ExperimentRunner.JSON.readTree(
                tmp.resolve("lr_selection.json").toFile());
        assertEquals("LoLDU", selections.get(0).get("label").asText());
        assertEquals("LoRA", selections.get(1).get("label").asText());
    }

    /** Records "label task sSEED lr LR" per call; validation is best at 1e-3, the test split prefers 1e-2. */
    private static CellExecutor gridExecutor(List<String> calls) {
        return (c, row, task, seed, dir) -> {
            float lr = row.lrOr(c.defaults());
            calls.add(row.label() + " " + task + " s" + seed + " lr " + lr);
            double distance = Math.abs(Math.log10(lr) + 3);
            double validation = task.equals("spam") ? 0.9 - distance / 10 : 0.1 + distance; // loss: lower wins
            double test = lr > 5e-3f ? 0.99 : 0.5; // the choice must not look at the test split
            return new CellResult(row.label(), row.groupOrMain(), task, seed, c.metricFor(task), test, test, test, 1,
                    1, 1, 1, 1, 1, 1, validation);
        };
    }

    @Test
    void aScopedRunTrainsItsSliceAndTheReportCoversEveryFinishedCell(@TempDir Path tmp) throws Exception {
        ExperimentConfig config = config(GRID_CONFIG);
        List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
        ExperimentRunner runner = new ExperimentRunner(gridExecutor(calls));

        runner.run(config, tmp, new ExperimentScope(java.util.Set.of("spam"), List.of("LoLDU"), false));
        assertEquals(5, calls.size(), "LoLDU's 3 grid points and seeds 2 and 3 on spam only: " + calls);
        assertTrue(calls.stream().allMatch(call -> call.startsWith("LoLDU spam")), calls.toString());
        String partial = Files.readString(tmp.resolve("results.md"));
        assertTrue(partial.contains("## not run yet") && partial.contains("- LoLDU on reuters-grain: 0 of 3 seeds")
                && partial.contains("- LoRA on spam: 0 of 3 seeds"), partial);

        calls.clear();
        List<CellResult> reported = runner.run(config, tmp, ExperimentScope.REPORT_ONLY);
        assertEquals(List.of(), calls, "a report-only run trains nothing");
        assertEquals(3, reported.size(), "but reads back the finished seeds");

        runner.run(config, tmp, new ExperimentScope(java.util.Set.of(), List.of("LoRA"), false));
        assertEquals(6, calls.size(), "LoRA's 3 seeds on both tasks: " + calls);
        calls.clear();
        List<CellResult> all = runner.run(config, tmp);
        assertEquals(5, calls.size(), "only LoLDU on grain was left: " + calls);
        assertEquals(12, all.size());
        assertTrue(!Files.readString(tmp.resolve("results.md")).contains("not run yet"));

        IllegalArgumentException task = assertThrows(IllegalArgumentException.class, () -> runner.run(config, tmp,
                new ExperimentScope(java.util.Set.of("reuters-corn"), List.of(), false)));
        assertTrue(task.getMessage().contains("'reuters-corn'") && task.getMessage().contains("[spam, reuters-grain]"),
                task.getMessage());
        IllegalArgumentException row = assertThrows(IllegalArgumentException.class, () -> runner.run(config, tmp,
                new ExperimentScope(java.util.Set.of(), List.of("LoL"), false)));
        assertTrue(row.getMessage().contains("'LoL' names no row") && row.getMessage().contains("[LoLDU, LoRA]"),
                row.getMessage());
    }

    @Test
    void aTieOnTheValidationScoreGoesToTheLowerValidationLossElseToTheFirstPoint(@TempDir Path tmp)
            throws Exception {
        ExperimentConfig config = config(GRID_CONFIG.replace("\"reuters-grain\"]", "\"reuters-corn\"]")
                .replace(", \"metrics\": {\"reuters-grain\": \"loss\"}", ""));
        // every point ties at 4/7 on both tasks; on spam only the cells record a loss, lowest at 1e-2
        CellExecutor tied = (c, row, task, seed, dir) -> {
            float lr = row.lrOr(c.defaults());
            CellResult cell = new CellResult(row.label(), row.groupOrMain(), task, seed, c.metricFor(task), 0.5, 0.5,
                    0.5, 1, 1, 1, 1, 1, 1, 1, 4 / 7.0);
            return task.equals("spam") ? cell.withValidationLoss(0.1 - lr) : cell;
        };
        new ExperimentRunner(tied).run(config, tmp);
        com.fasterxml.jackson.databind.JsonNode selections = ExperimentRunner.JSON.readTree(
                tmp.resolve("lr_selection.json").toFile());
        assertEquals("spam", selections.get(0).get("task").asText());
        assertEquals(0.01, selections.get(0).get("chosen_lr").asDouble(), 1e-9, "the lowest loss breaks the tie");
        assertEquals(0.0001, selections.get(1).get("chosen_lr").asDouble(), 1e-9, "no loss: the first point");
        assertEquals(0.09, selections.get(0).get("grid").get(2).get("validation_loss").asDouble(), 1e-6);
    }

    @Test
    void gridsAndTheSelectionSeedAreCheckedWhenTheConfigIsRead() throws Exception {
        assertEquals(2, config(GRID_CONFIG.replace("\"seeds\"", "\"selection_seed\": 2, \"seeds\""))
                .selectionSeedOrFirst());
        assertEquals(1, config(GRID_CONFIG).selectionSeedOrFirst());
        IOException misspelt = assertThrows(IOException.class,
                () -> config(GRID_CONFIG.replace("\"seeds\"", "\"selection-seed\": 2, \"seeds\"")));
        assertTrue(misspelt.getMessage().contains("unknown field 'selection-seed'")
                && misspelt.getMessage().contains("selection_seed"), misspelt.getMessage());
        Exception fp16 = assertThrows(Exception.class, () -> config(GRID_CONFIG.replace("\"seeds\"",
                "\"defaults\": {\"epochs\": 1, \"precision\": \"fp16\"}, \"seeds\"")));
        assertTrue(String.valueOf(fp16.getMessage()).contains("Unknown precision 'fp16'"), fp16.getMessage());
        assertEquals("bf16", config(GRID_CONFIG.replace("\"seeds\"",
                "\"defaults\": {\"epochs\": 1, \"precision\": \"bf16\"}, \"seeds\"")).defaults().precision());
        Exception negative = assertThrows(Exception.class, () -> config(GRID_CONFIG.replace("1e-4", "-1e-4")));
        assertTrue(String.valueOf(negative.getMessage()).contains("lr_grid") || String.valueOf(negative.getCause())
                .contains("lr_grid"), String.valueOf(negative.getMessage()));
    }

    @Test
    void workersRunCellsAtOnceAndAFailedCellCostsOnlyItself(@TempDir Path tmp) throws Exception {
        ExperimentConfig config = ExperimentConfig.preset("minilm-table1");
        // one cell per row, task and seed (counted from the preset, which gains a row with each method)
        int cells = config.methods().size() * config.tasks().size() * config.seeds().size();
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
            assertEquals(cells - 2, files.count(), "every cell but VeRA's two seed-2 cells was recorded");
        }
        List<CellResult> rerun = new ExperimentRunner((c, row, task, seed, dir) -> new CellResult(row.label(),
                row.groupOrMain(), task, seed, "accuracy", 0.5, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1), 3).run(config, tmp);
        assertEquals(cells, rerun.size());
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
