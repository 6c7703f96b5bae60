package dev.peft4j.apps.diffusion;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.apps.vision.DitPretraining;
import dev.peft4j.models.dit.DitConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What personalisation needs to know about a DiT saved by {@code peft4j pretrain dit}, read from its
 * {@value DitPretraining#RESULT_FILE}: the data set it learned, which original classes it trained on (label
 * {@code i} is {@code trainedClasses[i]}), which it held out and the spare row of each, and its weights' SHA-256.
 *
 * @param dir the model directory
 * @param dataset the images it was pretrained on
 * @param classTable the name of each label, spare rows included
 * @param trainedClasses the original class of each trained label
 * @param heldOut original classes held out, in the order of their spare rows
 * @param spareLabels the spare row of each held-out class
 * @param modelSha256 the SHA-256 of {@code model.safetensors} as recorded
 */
public record DitBase(Path dir, DitPretraining.Dataset dataset, List<String> classTable, int[] trainedClasses,
        int[] heldOut, int[] spareLabels, String modelSha256) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Whether {@code dir} is a DiT directory: its {@code config.json} says {@code "model_type": "dit"}. */
    public static boolean isDit(String dir) {
        try {
            Path config = Path.of(dir).resolve(DitConfig.FILE);
            return Files.isRegularFile(config)
                    && "dit".equals(JSON.readTree(config.toFile()).path("model_type").asText());
        } catch (IOException | RuntimeException e) { // not a DiT directory (or not a path); loading it names the problem
            return false;
        }
    }

    /** Reads the pretraining record of the DiT in {@code dir}. */
    public static DitBase read(Path dir) throws IOException {
        Path file = dir.resolve(DitPretraining.RESULT_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("No " + DitPretraining.RESULT_FILE + " in " + dir + ": personalisation reads the "
                    + "held-out classes and their spare rows from it; pass a directory written by 'peft4j pretrain dit'");
        }
        JsonNode json = JSON.readTree(file.toFile());
        String source = text(json, "data", file);
        DitPretraining.Dataset dataset = Arrays.stream(DitPretraining.Dataset.values())
                .filter(d -> d.source().equals(source)).findFirst().orElseThrow(() -> new IOException(file
                        + ": data \"" + source + "\" is none of the data sets a DiT pretrains on here "
                        + Arrays.stream(DitPretraining.Dataset.values()).map(DitPretraining.Dataset::source).toList()));
        List<String> table = new ArrayList<>();
        array(json, "class_table", file).forEach(n -> table.add(n.asText()));
        DitBase base = new DitBase(dir, dataset, List.copyOf(table), ints(json, "trained_classes", file),
                ints(json, "held_out_classes", file), ints(json, "spare_labels", file), text(json, "model_sha256", file));
        if (base.heldOut.length != base.spareLabels.length
                || base.trainedClasses.length + base.heldOut.length != table.size()) {
            throw new IOException(file + ": expected " + base.heldOut.length + " spare labels for the held-out classes "
                    + Arrays.toString(base.heldOut) + " and a class table of trained + held-out classes, found spare "
                    + "labels " + Arrays.toString(base.spareLabels) + " and " + table.size() + " names; re-run "
                    + "'peft4j pretrain dit'");
        }
        return base;
    }

    /** The labels trained on: {@code 0..k-1}. */
    public int trainedLabels() {
        return trainedClasses.length;
    }

    /**
     * The spare row of the held-out original class {@code concept}.
     *
     * @throws IllegalArgumentException if the model did not hold that class out
     */
    public int spareLabelOf(int concept) {
        for (int i = 0; i < heldOut.length; i++) {
            if (heldOut[i] == concept) {
                return spareLabels[i];
            }
        }
        throw new IllegalArgumentException("Class " + concept + " was not held out when this DiT was pretrained ("
                + dir + " held out " + Arrays.toString(heldOut) + " and trained on " + Arrays.toString(trainedClasses)
                + "); personalise one of the held-out classes, by its original label");
    }

    private static String text(JsonNode json, String field, Path file) throws IOException {
        JsonNode node = json.get(field);
        if (node == null || !node.isTextual()) {
            throw new IOException(file + ": expected a text field '" + field + "', found " + node
                    + "; re-run 'peft4j pretrain dit'");
        }
        return node.asText();
    }

    private static JsonNode array(JsonNode json, String field, Path file) throws IOException {
        JsonNode node = json.get(field);
        if (node == null || !node.isArray()) {
            throw new IOException(file + ": expected an array field '" + field + "', found " + node
                    + "; re-run 'peft4j pretrain dit'");
        }
        return node;
    }

    private static int[] ints(JsonNode json, String field, Path file) throws IOException {
        JsonNode node = array(json, field, file);
        int[] values = new int[node.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = node.get(i).asInt();
        }
        return values;
    }
}
