package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class Peft4jCommandTest {

    private static String[] run(String... args) {
        CommandLine cli = Peft4jCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : new String[] {"train", "eval", "inspect", "export", "merge", "experiment", "generate", "serve",
                "spark-train", "generate-image", "personalise", "eval-dit"}) {
            String[] result = run(command, "--help");
            assertEquals("0", result[0], command);
            assertTrue(result[1].contains("Usage: peft4j " + command), result[1]);
        }
    }

    @Test
    void aWrongFlagIsOneLineWithTheFix() {
        String[] result = run("train", "--rnak", "8");
        assertEquals("2", result[0]);
        assertEquals(1, result[2].strip().lines().count(), result[2]);
        assertTrue(result[2].contains("Unknown options: '--rnak'") && result[2].contains("peft4j train --help"), result[2]);
    }

    @Test
    void aWrongValueListsTheAcceptedOnes() {
        String[] pooling = run("train", "--pooling", "max");
        assertTrue(pooling[2].contains("expected one of [MEAN, CLS]"), pooling[2]);
        String[] model = run("train", "--model", "gpt-9");
        assertTrue(model[2].contains("all-minilm-l6-v2, bge-small-en-v1.5"), model[2]);
        String[] method = run("train", "--method", "lorax");
        assertEquals("1", method[0]);
        assertTrue(method[2].contains("accepted: [loldu"), method[2]);
        String[] metric = run("train", "--metric", "bogus", "-o", "target/never-written");
        assertEquals("1", metric[0]);
        assertTrue(metric[2].contains("Unknown metric 'bogus'") && metric[2].contains("loss (lower is better)"),
                metric[2]);
        String[] precision = run("train", "--precision", "fp16", "-o", "target/never-written");
        assertEquals("1", precision[0]);
        assertTrue(precision[2].contains("'fp16'") && precision[2].contains("expected fp32, bf16 or auto"),
                precision[2]);
        String[] format = run("export", "onnx", "--adapter", "x", "-o", "y");
        assertTrue(format[2].contains("accepted: lora"), format[2]);
    }

    @Test
    void aFinishedRunFolderIsNotOverwrittenWithoutAFlag(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        Files.createDirectories(run.resolve("adapter"));
        Files.writeString(run.resolve("metrics.jsonl"), "{\"event\":\"result\",\"best_epoch\":1}\n");
        String[] result = run("train", "--task", "spam", "-o", run.toString());
        assertEquals("1", result[0], result[2]);
        assertEquals(1, result[2].strip().lines().count(), result[2]);
        assertTrue(result[2].contains("already holds a finished run (adapter, metrics.jsonl); pass --overwrite"),
                result[2]);
        assertEquals("{\"event\":\"result\",\"best_epoch\":1}\n", Files.readString(run.resolve("metrics.jsonl")));
        String[] both = run("train", "--resume", "--overwrite", "-o", run.toString());
        assertTrue(both[2].contains("pass one of them"), both[2]);
    }

    @Test
    void resumeWithoutACheckpointIsAnError(@TempDir Path tmp) {
        String[] result = run("train", "--task", "spam", "--resume", "-o", tmp.toString());
        assertEquals("1", result[0]);
        assertTrue(result[2].contains("--resume: found no checkpoint in " + tmp + " (looked for "
                + tmp.resolve("checkpoint-latest")), result[2]);
    }

    @Test
    void exportAndMergeRefuseToWriteIntoTheirInput(@TempDir Path tmp) {
        Path adapter = tmp.resolve("run/adapter");
        String[] same = run("export", "lora", "--adapter", adapter.toString(), "-o", adapter.toString());
        assertEquals("1", same[0]);
        assertTrue(same[2].contains("-o " + adapter + " is the --adapter folder " + adapter), same[2]);
        String[] inside = run("merge", "--adapter", adapter.toString(), "-o", adapter.resolve("merged").toString());
        assertTrue(inside[2].contains("is inside the --adapter folder"), inside[2]);
        String[] containing = run("export", "lora", "--adapter", adapter.toString(), "-o", tmp.resolve("run").toString());
        assertTrue(containing[2].contains("contains the --adapter folder"), containing[2]);
    }

    @Test
    void countsRatesAndMethodArgsAreRangeChecked() {
        String[][] cases = {
            {"--max-train", "-5", "--max-train must be at least 0, found -5"},
            {"--checkpoint-every", "-1", "--checkpoint-every must be at least 0, found -1"},
            {"--epochs", "0", "--epochs must be at least 1, found 0"},
            {"--batch-size", "0", "--batch-size must be at least 1, found 0"},
            {"--grad-accum", "0", "--grad-accum must be at least 1, found 0"},
            {"--lr", "NaN", "--lr must be a positive finite number, found NaN"},
            {"--warmup", "1", "--warmup must be in [0, 1), found 1.0"},
            {"--rank", "0", "--rank must be at least 1, found 0"},
        };
        for (String[] c : cases) {
            String[] result = run("train", c[0], c[1], "-o", "target/never-written");
            assertEquals("1", result[0], c[0]);
            assertEquals("peft4j: " + c[2], result[2].strip(), c[0]);
        }
        String[] validation = run("train", "--model", "vit-fashion-mnist", "--validation", "0", "-o",
                "target/never-written");
        assertEquals("peft4j: --validation must be at least 1, found 0", validation[2].strip());
        String[] arg = run("train", "--method", "lora", "--method-arg", "lora_dropuot=0.1", "-o", "target/never-written");
        assertEquals("1", arg[0]);
        assertTrue(arg[2].contains("Unknown --method-arg [lora_dropuot] for method 'lora'; it accepts [")
                && arg[2].contains("lora_dropout"), arg[2]);
        assertFalse(Files.exists(Path.of("target/never-written")), "refused before anything was written");
    }

    @Test
    void anUnusableOutputFailsAtOnceInOneLineAndVerboseAddsTheTrace(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        String[] result = run("train", "--task", "spam", "-o", file.resolve("run").toString());
        assertEquals("1", result[0]);
        assertEquals(1, result[2].strip().lines().count(), result[2]);
        assertTrue(result[2].contains(file + " is a file, not a directory"), result[2]);
        String[] verbose = run("--verbose", "train", "--task", "spam", "-o", file.resolve("run").toString());
        assertTrue(verbose[2].contains("\tat dev.peft4j."), verbose[2]);
        String[] export = run("export", "lora", "--adapter", tmp.resolve("adapter").toString(), "-o",
                file.resolve("lora").toString());
        assertTrue(export[2].contains(file + " is a file, not a directory"), export[2]);
    }

    @Test
    void badDataFilesAreNamedInOneLine(@TempDir Path tmp) throws Exception {
        Path oneClass = Files.writeString(tmp.resolve("one.csv"), "text,label\na,x\nb,x\nc,x\n");
        String[] result = run("train", "--data", oneClass.toString(), "-o", tmp.resolve("r1").toString());
        assertEquals("1", result[0]);
        assertTrue(result[2].contains(oneClass + " has a single class in its label column 'label'"), result[2]);
        Path latin1 = Files.write(tmp.resolve("l.csv"), "text,label\ncaf\u00e9,1\n".getBytes(StandardCharsets.ISO_8859_1));
        result = run("train", "--data", latin1.toString(), "-o", tmp.resolve("r2").toString());
        assertTrue(result[2].contains(latin1 + " is not valid UTF-8 text"), result[2]);
        result = run("train", "--data", tmp.resolve("none.csv").toString(), "-o", tmp.resolve("r3").toString());
        assertTrue(result[2].contains("Data file " + tmp.resolve("none.csv") + " does not exist"), result[2]);
        assertEquals(1, result[2].strip().lines().count(), result[2]);
    }

    @Test
    void aBrokenTrainingArgsFileIsNamed(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("training_args.json"), "{\"model\": ");
        String[] result = run("eval", "--adapter", tmp.toString(), "--task", "spam");
        assertEquals("1", result[0]);
        assertTrue(result[2].contains(tmp.resolve("training_args.json") + " is not a valid training_args.json "
                + "(invalid JSON at line 1"), result[2]);
        assertEquals(1, result[2].strip().lines().count(), result[2]);
    }

    @Test
    void anExperimentSliceNamingARowOrTaskTheGridLacksIsRefusedBeforeAnythingRuns(@TempDir Path tmp) {
        String[] row = run("experiment", "--preset", "minilm-table1-budget", "--row", "LoRA r=16", "-o",
                tmp.toString());
        assertEquals("1", row[0]);
        assertTrue(row[2].contains("Row 'LoRA r=16' names no row of experiment") && row[2].contains("LoRA r=8 q,v"),
                row[2]);
        String[] task = run("experiment", "--preset", "minilm-table1-budget", "--task", "spam,imdb", "-o",
                tmp.toString());
        assertEquals("1", task[0]);
        assertTrue(task[2].contains("Task 'imdb' is not in experiment"), task[2]);
        assertFalse(Files.exists(tmp.resolve("cells")), "nothing was started");
    }

    @Test
    void aBudgetGridPinsItsPrecisionSoCellsFromDifferentMachinesCompare() throws Exception {
        var budget = dev.peft4j.apps.experiments.ExperimentConfig.preset("minilm-table1-budget");
        java.util.List<String> args = new SubprocessCellExecutor(1).arguments(budget, budget.methods().get(0), "spam",
                1, Path.of("cell"), Path.of("cell/result.json"));
        assertTrue(String.join(" ", args).contains("--precision bf16"), args.toString());
        CommandLine.ParseResult parsed = Peft4jCommand.commandLine().parseArgs(args.toArray(String[]::new));
        assertEquals("train", parsed.subcommand().commandSpec().name(), "the child's command line parses");
        var smoke = dev.peft4j.apps.experiments.ExperimentConfig.preset("smoke");
        assertFalse(String.join(" ", new SubprocessCellExecutor(1).arguments(smoke, smoke.methods().get(0), "spam", 1,
                Path.of("cell"), Path.of("cell/result.json"))).contains("--precision"), "no precision: auto");
    }

    @Test
    void anImageCellRunsTrainOnTheVitWithEveryKnobOfItsRow() throws Exception {
        var config = dev.peft4j.apps.experiments.ExperimentConfig.preset("vit-smoke");
        var row = config.methods().get(2); // r=4, all-linear
        java.util.List<String> args = new SubprocessCellExecutor(1).arguments(config, row, "mnist", 7,
                java.nio.file.Path.of("cell"), java.nio.file.Path.of("cell/result.json"));
        String line = String.join(" ", args);
        assertTrue(line.startsWith("train --model vit-fashion-mnist --task mnist --validation 256 "), line);
        assertTrue(line.contains("--rank 4 --targets all-linear") && line.contains("--seed 7")
                && line.contains("--max-train 512") && line.contains("--label r=4 --group rank")
                && line.contains("--threads 1") && line.contains("--overwrite"), line);
        CommandLine.ParseResult parsed = Peft4jCommand.commandLine().parseArgs(args.toArray(String[]::new));
        assertEquals("train", parsed.subcommand().commandSpec().name(), "the child's command line parses");
    }

    @Test
    void aDecoderCellRunsTrainOnTheDecoderAndTheRowWithoutFineTuningHasNoMethodKnobs() throws Exception {
        var config = dev.peft4j.apps.experiments.ExperimentConfig.preset("decoder-smoke");
        java.util.List<String> base = new SubprocessCellExecutor(1).arguments(config, config.methods().get(0),
                "wordnet", 1, java.nio.file.Path.of("cell"), java.nio.file.Path.of("cell/result.json"));
        String line = String.join(" ", base);
        assertTrue(line.startsWith("train --model llama-en-4m --task wordnet --max-length 96 --max-eval 8 "
                + "--max-new-tokens 16 --prompt-style alpaca-short --method none "), line);
        assertFalse(line.contains("--rank"), line);
        java.util.List<String> loldu = new SubprocessCellExecutor(1).arguments(config, config.methods().get(2),
                "wordnet", 1, java.nio.file.Path.of("cell"), java.nio.file.Path.of("cell/result.json"));
        assertTrue(String.join(" ", loldu).contains("--rank 16 --targets q_proj,v_proj"), loldu.toString());
        for (java.util.List<String> args : java.util.List.of(base, loldu)) {
            CommandLine.ParseResult parsed = Peft4jCommand.commandLine().parseArgs(args.toArray(String[]::new));
            assertEquals("train", parsed.subcommand().commandSpec().name(), "the child's command line parses");
        }
    }

    @Test
    void optionsOfAnotherKindOfModelAreRefusedNotIgnored() {
        String[] decoder = run("train", "--model", "llama-en-4m", "--pooling", "CLS", "-o", "target/never-written");
        assertEquals("peft4j: --pooling does not apply to a decoder (--model llama-en-4m); drop it, or choose a "
                + "model it applies to", decoder[2].strip());
        String[] encoder = run("train", "--max-new-tokens", "8", "-o", "target/never-written");
        assertEquals("peft4j: --max-new-tokens does not apply to a text encoder (--model all-minilm-l6-v2); drop it, "
                + "or choose a model it applies to", encoder[2].strip());
        String[] style = run("train", "--model", "llama-en-4m", "--prompt-style", "chatml", "-o",
                "target/never-written");
        assertTrue(style[2].contains("Unknown prompt style 'chatml'; expected alpaca"), style[2]);
        String[] metric = run("train", "--model", "llama-en-4m", "--metric", "accuracy", "-o", "target/never-written");
        assertTrue(metric[2].contains("pass --metric perplexity"), metric[2]);
        assertFalse(Files.exists(Path.of("target/never-written")), "refused before anything was written");
    }

    @Test
    void sparkTrainRefusesDataWithoutValidationAndBothSourcesBeforeStartingSpark() {
        String[] noValidation = run("spark-train", "--data", "rows.parquet", "-o", "out");
        assertTrue(!noValidation[0].equals("0") && noValidation[2].contains("--data needs --validation-data"),
                noValidation[2]);
        String[] both = run("spark-train", "--data", "rows.parquet", "--task", "spam", "-o", "out");
        assertTrue(!both[0].equals("0") && both[2].contains("--task and --data both given"), both[2]);
        String[] workers = run("spark-train", "--workers", "0", "-o", "out");
        assertTrue(!workers[0].equals("0") && workers[2].contains("--workers"), workers[2]);
    }
}
