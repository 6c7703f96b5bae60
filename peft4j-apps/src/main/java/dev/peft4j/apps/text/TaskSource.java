package dev.peft4j.apps.text;

import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.train.data.Datasets;
import dev.peft4j.train.data.Split;
import dev.peft4j.train.data.TabularDataset;
import dev.peft4j.train.data.TextDataset;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a task's examples come from: a built-in data set by name, or the user's CSV / JSON Lines
 * file (split 80/10/10 stratified by the seed).
 *
 * @param name built-in name ({@code spam}, {@code reuters-grain}, ...) or null
 * @param file user file or null
 */
public record TaskSource(String name, Path file, String textColumn, String pairColumn, String labelColumn) {

    public static TaskSource builtIn(String name) {
        return new TaskSource(name, null, null, null, null);
    }

    public Split load(ArtifactCache cache, long seed) throws IOException {
        if (file == null) {
            return Datasets.byName(name, cache, seed);
        }
        TextDataset all = TabularDataset.load(file, textColumn, pairColumn, labelColumn);
        Split split = all.split(0.8, 0.1, 0.1, seed);
        TabularDataset.checkLabelsCovered(split);
        return split;
    }

    /** A short label for reports. */
    public String label() {
        return file == null ? name : file.getFileName().toString();
    }
}
