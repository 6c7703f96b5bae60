package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code personalise} through the command line on a tiny DiT pretrained in the test (ankle boots held out, as
 * {@code DitCommandsTest}), then the {@code generate-image --adapter} command it prints, on the saved adapters.
 */
class PersonaliseCommandTest {

    @TempDir
    static Path dir;
    static Path model;

    /** Few judged samples and DDIM steps: the command's plumbing, not the figures' quality, is under test. */
    private static final String[] CHEAP = {"--validation-images", "16", "--max-test", "32", "--samples", "8",
        "--prior-samples", "4", "--sample-steps", "5", "--batch-size", "8"};

    @BeforeAll
    static void pretrain() {
        model = dir.resolve("dit");
        String[] result = run("pretrain", "dit", "-o", model.toString(), "--hold-out", "9", "--max-train", "320",
                "--validation", "64", "--max-test", "64", "--epochs", "4", "--batch-size", "16", "--lr", "0.002",
                "--hidden", "32", "--layers", "2", "--heads", "4", "--mlp", "64", "--patch", "7",
                "--frequency-size", "32", "--samples-per-class", "0", "--seed", "5");
        assertEquals("0", result[0], result[1] + result[2]);
    }

    @Test
    void loraPersonalisesPrintsTheFiguresAndTheAdapterGeneratesAsPrinted() throws Exception {
        Path out = dir.resolve("lora");
        Path cell = dir.resolve("cell.json");
        String[] result = run(concat(new String[] {"personalise", "--model", model.toString(), "--concept", "9",
            "--shots", "5", "--steps", "20", "--lr", "0.005", "--method", "lora", "--rank", "4", "--targets",
            "to_q,to_k,to_v,to_out.0", "-o", out.toString(), "--result-json", cell.toString(), "--label", "LoRA"},
                CHEAP));
        assertEquals("0", result[0], result[1] + result[2]);
        assertTrue(result[1].contains("concept 9 -> row 9 | method lora | 5 shots, 20 steps | trainable 2,048"),
                result[1]);
        assertTrue(result[1].contains("subject fidelity "), result[1]);
        assertTrue(result[1].contains("prior preservation "), result[1]);
        JsonNode json = new ObjectMapper().readTree(cell.toFile());
        assertEquals("ankle-boot", json.get("task").asText());
        assertEquals("LoRA", json.get("label").asText());
        assertEquals("subject_fidelity", json.get("metric").asText());
        assertEquals("concept.png", json.get("images").asText());
        assertTrue(json.get("scores").has("base_prior_preservation"), json.toString());
        generateAsPrinted(result[1], out);
    }

    @Test
    void dreamBoothFullFineTuningWithPriorImagesSavesAnAdapterGenerateImageLoads() throws Exception {
        Path out = dir.resolve("dreambooth");
        String[] result = run(concat(new String[] {"personalise", "--model", model.toString(), "--concept", "9",
            "--steps", "10", "--lr", "0.0005", "--method", "full", "--prior-images", "18", "-o", out.toString()},
                CHEAP));
        assertEquals("0", result[0], result[1] + result[2]);
        assertTrue(result[1].contains("10 steps with 18 prior images | trainable 37,297"), result[1]); // the whole DiT
        generateAsPrinted(result[1], out);
    }

    @Test
    void withoutFineTuningNoAdapterIsSavedAndTheNextStepHasNone() {
        Path out = dir.resolve("none");
        String[] result = run(concat(new String[] {"personalise", "--model", model.toString(), "--concept", "9",
            "--method", "none", "-o", out.toString()}, CHEAP));
        assertEquals("0", result[0], result[1] + result[2]);
        assertTrue(result[1].contains("method none | 5 shots, no training | trainable 0 | adapter 0 B"), result[1]);
        assertFalse(result[1].contains("--adapter"), result[1]);
        assertFalse(Files.exists(out.resolve("adapter")));
    }

    @Test
    void badInputIsRefusedWithWhatToDo() {
        String[] notHeldOut = run("personalise", "--model", model.toString(), "--concept", "3", "-o",
                dir.resolve("x").toString());
        assertEquals("1", notHeldOut[0]);
        assertTrue(notHeldOut[2].contains("Class 3 was not held out when this DiT was pretrained"), notHeldOut[2]);
        String[] oddBatch = run("personalise", "--model", model.toString(), "--concept", "9", "--method", "full",
                "--prior-images", "4", "--batch-size", "3", "-o", dir.resolve("z").toString());
        assertEquals("1", oddBatch[0]);
        assertTrue(oddBatch[2].contains("the batch size must be even, found 3"), oddBatch[2]);
        assertFalse(Files.exists(dir.resolve("z")), "refused before the run folder is made");
        String[] method = run("personalise", "--model", model.toString(), "--concept", "9", "--method", "dreambooth",
                "-o", dir.resolve("w").toString());
        assertEquals("1", method[0]);
        assertTrue(method[2].contains("Invalid value for option '--method': 'dreambooth'"), method[2]);
    }

    /**
     * The smoke grid through {@code peft4j experiment} on the tiny DiT, each cell {@code personalise} in a child JVM:
     * the Table VI-like report, the grids it links, the learning rate chosen on validation fidelity.
     */
    @Test
    void theSmokePresetRunsEachCellAsPersonaliseInAChildJvm() throws Exception {
        Path out = dir.resolve("experiment");
        String[] result = run("experiment", "--preset", "dit-personalise-smoke", "--model", model.toString(), "-o",
                out.toString());
        assertEquals("0", result[0], result[1] + result[2]);
        String md = Files.readString(out.resolve("results.md"));
        assertTrue(md.contains("| w/o fine-tuning | 0 |"), md);
        assertTrue(md.contains("| LoLDU r=8 attention | 64 |"), md); // 2 blocks x 4 projections x r = 8
        assertTrue(md.contains("| LoRA r=4 attention | 2,048 |"), md);
        assertTrue(md.contains("| DreamBooth (full FT + prior) | 37,297 |"), md);
        assertTrue(md.contains("| Textual Inversion (spare row only) | 32 |"), md); // the spare row, hidden 32
        assertTrue(md.contains("| real shots (reference: the ceiling) | - |"), md);
        Matcher grid = Pattern.compile("\\| LoRA r=4 attention \\| !\\[LoRA r=4 attention]\\((runs/[^)]+)\\)")
                .matcher(md);
        assertTrue(grid.find(), md);
        assertTrue(Files.isRegularFile(out.resolve(grid.group(1))), grid.group(1));
        JsonNode selection = new ObjectMapper().readTree(out.resolve("lr_selection.json").toFile());
        assertEquals("subject_fidelity", selection.get(0).get("metric").asText());
        assertEquals(2, selection.get(0).get("grid").size());
        JsonNode cell = new ObjectMapper().readTree(out.resolve("cells/LoRA_r_4_attention__ankle-boot__s1.json")
                .toFile());
        System.err.printf("dit-personalise-smoke: the LoRA cell trained %.1f s of a %.1f s run on the tiny DiT%n",
                cell.get("wall_seconds").asDouble(), cell.get("scores").get("total_seconds").asDouble());
        assertTrue(Files.readString(out.resolve("runs/LoRA_r_4_attention__ankle-boot__s1/train.log"))
                .contains("concept 9 -> row 9 | method lora"));
    }

    @Test
    void aDitCellRunsPersonaliseWithTheGridsSettingsAndTheRowsKnobs() throws Exception {
        var config = dev.peft4j.apps.experiments.ExperimentConfig.preset("dit-personalise").withModel(model.toString());
        var dreamBooth = config.methods().get(5).withLearningRates("DreamBooth", 1e-4f, 0f);
        java.util.List<String> args = new SubprocessCellExecutor(1).arguments(config, dreamBooth, "ankle-boot", 2,
                Path.of("cell"), Path.of("cell/result.json"));
        String line = String.join(" ", args);
        assertTrue(line.startsWith("personalise --model " + model + " --concept 9 --shots 5 --validation-images 200 "
                + "--max-test 0 --steps 300 --lr 1.0E-4 --batch-size 4 --prior-images 200 --samples 64 "
                + "--prior-samples 32 --sample-steps 25 --guidance 1.0 --sample-seed 42 --seed 2 "), line);
        assertTrue(line.contains("--method full --rank 1"), line);
        java.util.List<String> loldu = new SubprocessCellExecutor(1).arguments(config, config.methods().get(1),
                "bag", 1, Path.of("cell"), Path.of("cell/result.json"));
        assertTrue(String.join(" ", loldu).contains("--concept 8 ")
                && String.join(" ", loldu).contains("--rank 32 --targets to_q,to_k,to_v,to_out.0"), loldu.toString());
        for (java.util.List<String> cell : java.util.List.of(args, loldu)) {
            CommandLine.ParseResult parsed = Peft4jCommand.commandLine().parseArgs(cell.toArray(String[]::new));
            assertEquals("personalise", parsed.subcommand().commandSpec().name(), "the child's command line parses");
        }
        Path shipped = dev.peft4j.apps.experiments.ExperimentConfig.preset("dit-personalise").ditBase();
        assertTrue(java.nio.file.Files.isRegularFile(shipped.resolve("pretrain_result.json")),
                "the shipped DiT resolves to a directory with its record: " + shipped);
    }

    /** Runs the {@code generate-image} line the command printed and checks its grid. */
    private static void generateAsPrinted(String printed, Path out) throws Exception {
        Matcher next = Pattern.compile("\\./peft4j (generate-image .*)").matcher(printed);
        assertTrue(next.find(), printed);
        String[] args = next.group(1).trim().split(" ");
        assertTrue(Arrays.asList(args).contains("--adapter"), next.group(1));
        String[] generated = run(concat(args, new String[] {"--steps", "3"}));
        assertEquals("0", generated[0], generated[1] + generated[2]);
        assertTrue(generated[1].contains("under " + out.resolve("adapter")), generated[1]);
        assertTrue(Files.size(out.resolve("more-9.png")) > 0);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static String[] run(String... args) {
        return CliRun.run(args);
    }
}
