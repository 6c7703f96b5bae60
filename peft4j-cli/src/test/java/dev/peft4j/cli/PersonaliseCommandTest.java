package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
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

    /** exit code, stdout (commands print there directly), picocli's err. */
    private static String[] run(String... args) {
        CommandLine cli = Peft4jCommand.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = cli.execute(args);
            return new String[] {String.valueOf(code), out.toString(StandardCharsets.UTF_8), err.toString()};
        } finally {
            System.setOut(saved);
        }
    }
}
