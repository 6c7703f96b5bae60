package dev.peft4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
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
        for (String command : new String[] {"train", "eval", "inspect", "export", "merge", "experiment"}) {
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
        String[] format = run("export", "onnx", "--adapter", "x", "-o", "y");
        assertTrue(format[2].contains("accepted: lora"), format[2]);
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
                && line.contains("--threads 1"), line);
        CommandLine.ParseResult parsed = Peft4jCommand.commandLine().parseArgs(args.toArray(String[]::new));
        assertEquals("train", parsed.subcommand().commandSpec().name(), "the child's command line parses");
    }
}
