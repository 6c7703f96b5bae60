package dev.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.apps.experiments.CellResult;
import dev.peft4j.apps.instruct.InstructionTuningJob;
import dev.peft4j.core.io.AtomicFiles;
import dev.peft4j.train.loop.TrainResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a training command records its result for {@code peft4j experiment}, and under which row. */
final class ResultOptions {

    @Option(names = "--result-json", description = "Also write the result as JSON to this file (used by 'experiment').")
    Path resultJson;

    @Option(names = "--label", defaultValue = "", description = "Row label recorded in --result-json.")
    String label;

    @Option(names = "--group", defaultValue = "main", description = "Row group recorded in --result-json.")
    String group;

    /** Fails now, before any model loads, when {@code --result-json} could not be written later. */
    void checkWritable() {
        if (resultJson != null) {
            if (java.nio.file.Files.isDirectory(resultJson)) {
                throw new IllegalArgumentException("--result-json " + resultJson + " is a directory; pass a file path");
            }
            dev.peft4j.train.loop.OutputLocation.requireWritableDirectory(
                    resultJson.toAbsolutePath().getParent(), "the folder of --result-json");
        }
    }

    /** Writes the run as an experiment cell when {@code --result-json} was given (atomically). */
    void write(String method, String task, long seed, String metric, TrainResult r, Path adapterDir)
            throws IOException {
        if (resultJson != null) {
            write(CellResult.of(label.isEmpty() ? method : label, group, task, seed, metric, r, adapterDir));
        }
    }

    /** An instruction-tuning run as an experiment cell, with its generation scores. */
    void writeInstructionTuning(String method, String task, long seed, InstructionTuningJob.Report report,
            Path adapterDir) throws IOException {
        if (resultJson != null) {
            write(CellResult.ofInstructionTuning(label.isEmpty() ? method : label, group, task, seed, report,
                    adapterDir));
        }
    }

    /** A personalisation run as an experiment cell, with its figures and its concept grid. */
    void writePersonalisation(String method, String task, long seed,
            dev.peft4j.apps.diffusion.DitPersonalisation.Report report) throws IOException {
        if (resultJson != null) {
            write(CellResult.ofPersonalisation(label.isEmpty() ? method : label, group, task, seed, report));
        }
    }

    private void write(CellResult cell) throws IOException {
        try {
            Files.createDirectories(resultJson.toAbsolutePath().getParent());
            AtomicFiles.writeString(resultJson, new ObjectMapper().writeValueAsString(cell));
        } catch (IOException e) {
            throw new IOException("Cannot write --result-json " + resultJson + ": "
                    + dev.peft4j.train.io.IoMessages.describe(e), e);
        }
    }
}
