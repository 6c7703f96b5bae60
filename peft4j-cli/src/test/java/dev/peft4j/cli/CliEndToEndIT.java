package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.core.io.SafeTensors;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train -> eval -> export -> merge through the command line, on real MiniLM weights and a user CSV. */
class CliEndToEndIT {

    @Test
    void trainEvalExportMerge(@TempDir Path tmp) throws Exception {
        Path csv = tmp.resolve("reviews.csv");
        List<String> lines = new ArrayList<>(List.of("review,sentiment"));
        String[] good = {"great product, works perfectly", "I love it, excellent quality", "wonderful and fast"};
        String[] bad = {"terrible, broke after a day", "awful quality, want a refund", "horrible and slow"};
        Random rng = new Random(1);
        for (int i = 0; i < 40; i++) {
            lines.add("\"" + good[rng.nextInt(3)] + " #" + i + "\",positive");
            lines.add("\"" + bad[rng.nextInt(3)] + " #" + i + "\",negative");
        }
        Files.write(csv, lines);
        Path out = tmp.resolve("run");
        String trainOut = run("train", "--data", csv.toString(), "--text-column", "review", "--label-column",
                "sentiment", "--max-length", "16", "--epochs", "2", "--batch-size", "8", "--rank", "8",
                "--targets", "query,value", "-o", out.toString());
        assertTrue(trainOut.contains("trainable params: 96 ||"), trainOut); // 6 layers x 2 targets x r=8
        assertTrue(Files.exists(out.resolve("adapter/adapter_config.json")));
        assertTrue(Files.exists(out.resolve("metrics.jsonl")));

        String evalOut = run("eval", "--adapter", out.resolve("adapter").toString(), "--data", csv.toString(),
                "--text-column", "review", "--label-column", "sentiment");
        assertTrue(evalOut.contains("test (8 examples): accuracy"), evalOut);

        run("export", "lora", "--adapter", out.resolve("adapter").toString(), "-o", tmp.resolve("lora").toString());
        assertTrue(SafeTensors.read(tmp.resolve("lora/adapter_model.safetensors")).tensors()
                .containsKey("base_model.model.encoder.layer.0.attention.self.query.lora_A.weight"));

        run("merge", "--adapter", out.resolve("adapter").toString(), "-o", tmp.resolve("merged").toString());
        assertTrue(SafeTensors.read(tmp.resolve("merged/model.safetensors")).tensors()
                .containsKey("encoder.layer.5.output.dense.weight"));
    }

    /**
     * The vision grid through child JVMs running {@code train} on the ViT, two at a time with half the cores each: the
     * shipped ViT adapted to real MNIST.
     */
    @Test
    void visionExperimentRunsEachCellAsTrainInAChildJvm(@TempDir Path tmp) throws Exception {
        String out = run("experiment", "--preset", "vit-smoke", "--workers", "2", "-o", tmp.toString());
        assertTrue(out.contains("| LoLDU r=64 all-linear | 1,585 | 650 |"), out);
        assertTrue(out.contains("| r=4 | 100 | 650 |"), out);
        assertTrue(Files.readString(tmp.resolve("runs/LP_linear_probe___mnist__s1/train.log"))
                .contains("MNIST on 512 train images"));
        assertTrue(Files.exists(tmp.resolve("runs/r_4__mnist__s1/metrics.jsonl")));
    }

    /**
     * The decoder grid through child JVMs (each cell {@code train --model llama-en-4m --task wordnet}); then the LoLDU
     * cell's adapter exported as LoRA, and {@code generate --adapter} with either adapter prints the same tokens.
     */
    @Test
    void decoderExperimentThenItsLolduAdapterExportedAsLoraGeneratesTheSameText(@TempDir Path tmp) throws Exception {
        String out = run("experiment", "--preset", "decoder-smoke", "--workers", "1", "-o", tmp.toString());
        assertTrue(out.contains("| w/o FT | 0 |"), out);
        assertTrue(out.contains("| LoLDU r=16 q,v | 128 |"), out); // 4 layers x (q_proj, v_proj) x r = 16
        String cell = Files.readString(tmp.resolve("cells/LoRA_r_8_q_v__wordnet__s1.json"));
        assertTrue(cell.contains("\"define\"") && cell.contains("\"generations\""), cell);
        Path loldu;
        try (var runs = Files.list(tmp.resolve("runs"))) { // a grid row's runs are named by their learning rates
            loldu = runs.filter(p -> p.getFileName().toString().contains("LoLDU_r_16_q_v__wordnet__s1"))
                    .findFirst().orElseThrow().resolve("adapter");
        }
        Path lora = tmp.resolve("lora");
        run("export", "lora", "--adapter", loldu.toString(), "-o", lora.toString());
        String prompt = "### Instruction:\nDefine the noun \"river\".\n\n### Response:\n";
        String fromLoldu = run("generate", "--adapter", loldu.toString(), "-p", prompt, "--max-new-tokens", "12");
        String fromLora = run("generate", "--adapter", lora.toString(), "-p", prompt, "--max-new-tokens", "12");
        assertEquals(fromLoldu, fromLora);
        assertTrue(fromLoldu.contains("### Response:"), fromLoldu);
    }

    /** Real SpamAssassin e-mails as JSON Lines that Spark reads, real MiniLM, two workers in local mode. */
    @Test
    void sparkTrainReadsJsonLinesWithSparkAndTrainsOnTwoWorkers(@TempDir Path tmp) throws Exception {
        dev.peft4j.train.data.Split spam = dev.peft4j.train.data.Datasets.byName("spam",
                dev.peft4j.hub.ArtifactCache.defaultCache(), 42);
        Path train = jsonLines(tmp.resolve("train.jsonl"), spam.train().examples().subList(0, 16));
        Path val = jsonLines(tmp.resolve("val.jsonl"), spam.validation().examples().subList(0, 8));
        String out = run("spark-train", "--data", train.toString(), "--validation-data", val.toString(),
                "--text-column", "body", "--label-column", "is_spam", "--workers", "2", "--batch-size", "4",
                "--epochs", "1", "--max-length", "16", "--rank", "8", "--targets", "query,value", "-o",
                tmp.resolve("run").toString());
        assertTrue(out.contains("spark-train: 2 workers x 4 examples per step, 2 steps"), out);
        assertTrue(Files.exists(tmp.resolve("run/adapter/adapter_model.safetensors")), out);
        assertTrue(Files.exists(tmp.resolve("run/checkpoints/metrics.jsonl")), "worker 0's log");
    }

    private static Path jsonLines(Path file, java.util.List<dev.peft4j.train.data.TextExample> examples)
            throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        StringBuilder lines = new StringBuilder();
        for (dev.peft4j.train.data.TextExample e : examples) {
            lines.append(json.writeValueAsString(java.util.Map.of("body", e.text(), "is_spam", e.label())))
                    .append('\n');
        }
        return Files.writeString(file, lines);
    }

    private static String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true));
        try {
            assertEquals(0, Peft4jCommand.commandLine().execute(args), String.join(" ", args));
        } finally {
            System.setOut(original);
        }
        return captured.toString();
    }
}
