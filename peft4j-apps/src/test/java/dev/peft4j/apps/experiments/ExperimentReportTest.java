package dev.peft4j.apps.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExperimentReportTest {

    private static CellResult cell(String label, String group, String task, long seed, double score) {
        return new CellResult(label, group, task, seed, "accuracy", score, score, score / 2, 1, 768, 770, 10, 5, 900, 4096);
    }

    @Test
    void mediansOverSeedsFillThePaperStyleTable() throws IOException {
        ExperimentConfig config = ExperimentConfig.preset("smoke");
        List<CellResult> cells = List.of(cell("LoLDU r=8 q,v", null, "reuters-grain", 1, 0.5),
                cell("LoLDU r=8 q,v", null, "reuters-grain", 2, 0.9), cell("LoLDU r=8 q,v", null, "reuters-grain", 3, 0.7),
                cell("Linear probe", null, "reuters-grain", 1, 0.4));
        List<ExperimentReport.Aggregate> aggregates = ExperimentReport.aggregate(config, cells);
        assertEquals(2, aggregates.size());
        assertEquals(0.7, aggregates.get(0).medianScore(), 1e-12); // a double median of given scores: a few ulp
        assertEquals(3, aggregates.get(0).seeds());
        String md = ExperimentReport.markdown(config, aggregates);
        assertTrue(md.contains("| LoLDU r=8 q,v | 768 | 770 | 70.00 | 70.00 |"), md);
        assertTrue(md.contains("| method | trainable params | head params | reuters-grain (f1) |"), md);
    }

    @Test
    void plotsAndJsonAreWritten(@TempDir Path tmp) throws IOException {
        ExperimentConfig config = ExperimentConfig.preset("smoke");
        List<CellResult> cells = new ArrayList<>();
        for (long seed = 1; seed <= 3; seed++) {
            cells.add(cell("LoLDU r=8 q,v", null, "reuters-grain", seed, 0.6 + seed / 10.0));
        }
        ExperimentReport.write(config, cells, tmp);
        assertTrue(Files.size(tmp.resolve("params-vs-reuters-grain.png")) > 1000);
        assertTrue(Files.readString(tmp.resolve("results.json")).contains("\"aggregates\""));
    }

    @Test
    void aBadConfigSaysWhatIsWrong() {
        String json = "{\"name\": \"x\", \"model\": \"all-minilm-l6-v2\", \"tasks\": [\"spam\"], \"seeds\": [],"
                + " \"methods\": [{\"label\": \"a\", \"method\": \"loldu\"}]}";
        IOException e = assertThrows(IOException.class,
                () -> ExperimentConfig.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test"));
        assertTrue(e.getMessage().contains("seeds is empty"), e.getMessage());
        String typo = "{\"name\": \"x\", \"modle\": \"m\"}";
        IOException e2 = assertThrows(IOException.class,
                () -> ExperimentConfig.read(new ByteArrayInputStream(typo.getBytes(StandardCharsets.UTF_8)), "test"));
        assertTrue(e2.getMessage().contains("modle"), e2.getMessage());
    }

    @Test
    void anImageGridAcceptsOnlyImageTasks() {
        String json = "{\"name\": \"x\", \"model\": \"vit-fashion-mnist\", \"tasks\": [\"spam\"], \"seeds\": [1],"
                + " \"methods\": [{\"label\": \"a\", \"method\": \"loldu\"}]}";
        IOException e = assertThrows(IOException.class,
                () -> ExperimentConfig.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test"));
        assertTrue(e.getMessage().contains("task 'spam' is not an image task")
                && e.getMessage().contains("[mnist, fashion-heldout]"), e.getMessage());
    }

    private static ExperimentConfig read(String json) throws IOException {
        return ExperimentConfig.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "test");
    }

    private static final String THREE_METHODS = "{\"name\": \"x\", \"model\": \"all-minilm-l6-v2\", \"tasks\": [\"spam\"],"
            + " \"seeds\": [1, 2, 3], \"defaults\": {\"max_train\": 8, \"epochs\": 1, \"max_length\": 8,"
            + " \"batch_size\": 4, \"lr\": 0.01, \"head_lr\": 0.01, \"eval_every\": 2}, \"methods\": ["
            + "{\"label\": \"L\", \"method\": \"loldu\", \"curve\": true},"
            + " {\"label\": \"R\", \"method\": \"lora\", \"rank\": 8, \"curve\": true},"
            + " {\"label\": \"F\", \"method\": \"full\", \"rank\": 1}]}";

    private static CellResult curved(String label, long seed, double score, List<CellResult.CurvePoint> curve) {
        return new CellResult(label, "main", "spam", seed, "accuracy", score, score, score, 1, 1, 1, 1, 1, 1, 1,
                score, curve);
    }

    @Test
    void lolduIsComparedWithLoraAndFullFineTuningSeedBySeed(@TempDir Path tmp) throws IOException {
        ExperimentConfig config = read(THREE_METHODS);
        List<CellResult> cells = new ArrayList<>();
        double[] l = {0.90, 0.80, 0.95};
        double[] r = {0.85, 0.82, 0.90};
        for (int s = 0; s < 3; s++) {
            cells.add(curved("L", s + 1, l[s], List.of(new CellResult.CurvePoint(2, l[s] - 0.1),
                    new CellResult.CurvePoint(4, l[s]))));
            cells.add(curved("R", s + 1, r[s], List.of(new CellResult.CurvePoint(2, r[s] - 0.2),
                    new CellResult.CurvePoint(4, r[s]))));
        }
        cells.add(curved("F", 2, 0.70, List.of()));
        List<ExperimentReport.PairedDifference> paired = ExperimentReport.pairedDifferences(config, cells);
        assertEquals(2, paired.size(), "L - R and L - F");
        ExperimentReport.PairedDifference lr = paired.get(0);
        assertEquals(List.of(1L, 2L, 3L), lr.seeds());
        assertEquals(0.05, lr.differences().get(0), 1e-12); // differences of doubles given to 2 digits: a few ulp
        assertEquals(-0.02, lr.differences().get(1), 1e-12);
        assertEquals(0.08 / 3, lr.mean(), 1e-12);
        double sd = Math.sqrt((Math.pow(0.05 - 0.08 / 3, 2) + Math.pow(-0.02 - 0.08 / 3, 2)
                + Math.pow(0.05 - 0.08 / 3, 2)) / 2);
        assertEquals(sd, lr.std(), 1e-12);
        assertEquals(2, lr.aWins());
        assertEquals(List.of(2L), paired.get(1).seeds(), "only the seeds both rows have");
        ExperimentReport.write(config, cells, tmp);
        String md = Files.readString(tmp.resolve("results.md"));
        assertTrue(md.contains("| L | R | spam | 1: +5.00, 2: -2.00, 3: +5.00 | +2.67 ± 4.04 | 2 of 3 |"), md);
        assertTrue(md.contains("| L | main | 88.33 ± 7.64 (n=3) |"), md);
        assertTrue(Files.size(tmp.resolve("convergence-spam.png")) > 1000, "L and R record curves");
        assertTrue(Files.readString(tmp.resolve("results.json")).contains("\"paired_differences\""));
    }

    @Test
    void theSelectionTableCountsThePointsTiedAtTheChosenValidation() {
        List<ExperimentRunner.GridPoint> grid = List.of(new ExperimentRunner.GridPoint(3e-4f, 2e-3f, 4 / 7.0, 0.36, null),
                new ExperimentRunner.GridPoint(1e-3f, 2e-3f, 4 / 7.0, 0.63, null),
                new ExperimentRunner.GridPoint(3e-3f, 2e-3f, 0.0, 0.0, null));
        String md = ExperimentReport.selectionMarkdown(List.of(new ExperimentRunner.LrSelection("LoLDU",
                "reuters-corn", "f1", 1, grid, 3e-4f, 2e-3f)));
        assertTrue(md.contains("| LoLDU | reuters-corn | 1 | 3 | 0.000300000 | 0.00200000 | 0.5714 | 2 |"), md);
    }

    @Test
    void everyGridPointIsListedWithItsLossAndTheChoiceMarked() {
        List<ExperimentRunner.GridPoint> grid = List.of(new ExperimentRunner.GridPoint(3e-4f, 2e-3f, 0.98, 0.97, 0.063),
                new ExperimentRunner.GridPoint(1e-3f, 2e-3f, 0.98, 0.9785, 0.048),
                new ExperimentRunner.GridPoint(3e-3f, 2e-3f, 0.5, 0.4, null));
        String md = ExperimentReport.gridPointsMarkdown(List.of(new ExperimentRunner.LrSelection("LoRA", "spam",
                "accuracy", 1, grid, 1e-3f, 2e-3f)));
        assertTrue(md.contains("| LoRA | spam | 0.000300000 | 0.00200000 | 0.9800 | 0.0630 | 0.9700 |  |"), md);
        assertTrue(md.contains("| LoRA | spam | 0.00100000 | 0.00200000 | 0.9800 | 0.0480 | 0.9785 | yes |"), md);
        assertTrue(md.contains("| LoRA | spam | 0.00300000 | 0.00200000 | 0.5000 | - | 0.4000 |  |"), md);
        assertEquals("", ExperimentReport.gridPointsMarkdown(List.of()), "no grid rows, no section");
    }

    @Test
    void curveAndSolverFieldsAreChecked() throws IOException {
        ExperimentConfig config = read(THREE_METHODS);
        assertEquals(2, config.methods().get(0).evalEvery(config.defaults()));
        assertEquals(0, config.methods().get(2).evalEvery(config.defaults()), "no curve: epoch ends only");
        IOException notAProbe = assertThrows(IOException.class, () -> read(THREE_METHODS.replace(
                "\"method\": \"full\"", "\"method\": \"full\", \"solver\": \"logistic\"")));
        assertTrue(notAProbe.getMessage().contains("fits the linear probe only"), notAProbe.getMessage());
        IOException unknown = assertThrows(IOException.class, () -> read(THREE_METHODS.replace(
                "\"method\": \"full\"", "\"method\": \"linear-probe\", \"solver\": \"lbfgs\"")));
        assertTrue(unknown.getMessage().contains("expected trainer or logistic"), unknown.getMessage());
        IOException zero = assertThrows(IOException.class, () -> read(THREE_METHODS.replace(
                "\"eval_every\": 2", "\"eval_every\": 0")));
        assertTrue(zero.getMessage().contains("eval_every must be at least 1"), zero.getMessage());
    }

    @Test
    void everyPresetLoadsAndTheBudgetTablesHaveEveryMethodAtTheIssuesBudget() throws IOException {
        for (String name : ExperimentConfig.PRESETS) {
            ExperimentConfig.preset(name); // a typo in a shipped preset fails here, not hours into a run
        }
        java.util.Set<String> registered = new java.util.HashSet<>(dev.peft4j.core.adapter.AdapterRegistry
                .defaultRegistry().methods().keySet());
        // trainable tokens train chosen rows of an embedding table (a new concept's token, issue 19's
        // personalisation), which a text-classification budget has no row to choose for
        registered.remove(dev.peft4j.core.method.trainabletokens.TrainableTokensMethod.ID);
        for (String name : List.of("minilm-table1-budget", "bge-table1-budget")) {
            ExperimentConfig config = ExperimentConfig.preset(name);
            ExperimentConfig.Defaults d = config.defaults();
            assertTrue(d.maxTrain() >= 2400 && d.maxLength() >= 128 && d.epochs() >= 3, name + ": " + d);
            assertTrue(config.seeds().size() >= 3, name);
            assertEquals(List.of("spam", "reuters-grain", "reuters-corn"), config.tasks(), name);
            assertEquals("bf16", d.precision(), name + ": a table built over sessions names its arithmetic");
            java.util.Set<String> rows = new java.util.HashSet<>();
            for (ExperimentConfig.MethodRow row : config.methods()) {
                rows.add(row.method());
                boolean converged = row.probeSolver() == dev.peft4j.apps.text.FineTuneRequest.ProbeSolver.LOGISTIC;
                assertTrue(converged || row.lrGrid().size() >= 3, name + ": " + row.label() + " needs a grid");
                if (!converged) {
                    float low = java.util.Collections.min(row.lrGrid());
                    float high = java.util.Collections.max(row.lrGrid());
                    assertTrue(high / low >= 9.99f, name + ": " + row.label() + " spans a decade or more");
                }
            }
            assertEquals(registered, rows, name + " has a row for every registered method");
        }
    }
}
