package dev.peft4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.apps.experiments.CellResult;
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

    /** Writes the run as an experiment cell when {@code --result-json} was given (atomically). */
    void write(String method, String task, long seed, String metric, TrainResult r, Path adapterDir)
            throws IOException {
        if (resultJson == null) {
            return;
        }
        CellResult cell = CellResult.of(label.isEmpty() ? method : label, group, task, seed, metric, r, adapterDir);
        Files.createDirectories(resultJson.toAbsolutePath().getParent());
        AtomicFiles.writeString(resultJson, new ObjectMapper().writeValueAsString(cell));
    }
}
