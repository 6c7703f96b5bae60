package dev.peft4j.apps.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.core.method.lora.LoraConfig;
import dev.peft4j.core.method.melora.MeloraConfig;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The presets' MELoRA rows train what their labels say: the LoRA row's rank, alpha and targets (so the same trainable
 * count), mel_count 4 from {@code extra} (the path of {@code --method-arg mel_count=4}), and a count that divides the
 * targeted layers of the preset's model, which would otherwise be refused only when a run starts.
 */
class MeloraPresetRowsTest {

    /** Hidden size of each preset model (query and value are [hidden, hidden]): DATA.md and VitConfig.small(). */
    private static final Map<String, Integer> HIDDEN = Map.of("all-minilm-l6-v2", 384, "bge-small-en-v1.5", 384,
            "vit-fashion-mnist", 64, "vit-fashion-mnist-0to4", 64);

    @Test
    void everyMeloraRowMatchesItsPresetsLoraRowAtFourBlocks() throws IOException {
        List<String> presets = List.of("minilm-table1", "minilm-table1-budget", "bge-table1-budget", "vit-mnist",
                "vit-fashion-heldout");
        for (String name : presets) {
            ExperimentConfig config = ExperimentConfig.preset(name);
            ExperimentConfig.MethodRow loraRow = row(config, "lora");
            ExperimentConfig.MethodRow meloraRow = row(config, "melora");
            LoraConfig lora = (LoraConfig) loraRow.methodSpec().toConfig(List.of("classifier"));
            MeloraConfig melora = (MeloraConfig) meloraRow.methodSpec().toConfig(List.of("classifier"));
            assertEquals(4, melora.melCount(), name);
            assertEquals(lora.rank(), melora.rank(), name + ": r (m + n) per layer, the LoRA row's count");
            assertEquals(lora.alpha(), melora.alpha(), name);
            assertEquals(lora.targetModules(), melora.targetModules(), name);
            assertEquals(loraRow.lrCandidates(config.defaults()), meloraRow.lrCandidates(config.defaults()), name);
            assertEquals(loraRow.hasCurve(), meloraRow.hasCurve(), name);
            int hidden = HIDDEN.get(config.model());
            assertEquals(0, hidden % melora.melCount(), name + ": mel_count divides " + hidden);
            assertTrue(melora.rank() <= hidden / melora.melCount(), name + ": each mini LoRA's rank fits its block");
            assertTrue(meloraRow.label().contains("r=" + melora.rank() + " x" + melora.melCount())
                    && meloraRow.label().contains("rank " + melora.equivalentRank()), name + ": " + meloraRow.label());
        }
    }

    private static ExperimentConfig.MethodRow row(ExperimentConfig config, String method) {
        List<ExperimentConfig.MethodRow> rows = config.methods().stream().filter(r -> r.method().equals(method))
                .toList();
        assertEquals(1, rows.size(), config.name() + ": one " + method + " row");
        return rows.get(0);
    }
}
