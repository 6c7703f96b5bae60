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
}
