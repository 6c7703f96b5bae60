package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The text defaults are the evidence: each is recomputed from the committed learning-rate selection of Table I. */
class TextLearningRatesTest {

    private static final Path SELECTION = Path.of("../experiments/results/minilm-table1-budget/lr_selection.json");

    /** Registry id to the row of Table I at the budget whose choices set its default. */
    private static final Map<String, String> ROWS = Map.of("loldu", "LoLDU r=64 all-linear", "lora", "LoRA r=8 q,v",
            "pissa", "PiSSA r=8 q,v", "adalora", "AdaLoRA init_r=12 target_r=8 q,v", "vera", "VeRA r=64 q,v", "svfit",
            "SVFit r=64 all-linear", "bitfit", "BitFit", "fourierft",
            "FourierFT n=1000 q,v", "melora", "MELoRA r=8 x4 q,v (rank 32)", "full", "FT (full fine-tuning)");

    private static final List<String> TASKS = List.of("spam", "reuters-grain", "reuters-corn");

    @Test
    void eachMeasuredDefaultIsTheMedianOfItsRowsChoicesOverTheThreeTasks() throws Exception {
        JsonNode selection = new ObjectMapper().readTree(SELECTION.toFile());
        assertEquals(ROWS.keySet(), TextLearningRates.MEASURED.keySet(), "every measured default has its row here");
        for (Map.Entry<String, String> row : ROWS.entrySet()) {
            List<Double> chosen = new ArrayList<>();
            for (String task : TASKS) {
                for (JsonNode point : selection) {
                    if (point.get("label").asText().equals(row.getValue()) && point.get("task").asText().equals(task)) {
                        chosen.add(point.get("chosen_lr").asDouble());
                    }
                }
            }
            assertEquals(TASKS.size(), chosen.size(), row.getValue() + ": one choice per task in " + SELECTION);
            chosen.sort(null);
            // The file stores the grid's doubles and the default is a float: equal to float precision, not beyond.
            assertEquals((float) (double) chosen.get(1), TextLearningRates.forMethod(row.getKey()), 0f, row.getKey());
        }
    }

    @Test
    void aMethodTheGridHasNotMeasuredKeepsTheRateEveryMethodHadBefore() {
        assertEquals(3e-3f, TextLearningRates.forMethod("trainable_tokens"));
    }
}
