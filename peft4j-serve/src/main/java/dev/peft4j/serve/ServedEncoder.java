package dev.peft4j.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.peft4j.apps.text.TrainingArgs;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.PretrainedEncoders;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The one base every tenant's adapter sits on: an encoder, its tokenizer, a classifier over it and the
 * {@link PeftModel} holding the loaded adapters. Forwards name their adapters per row (they read no active-adapter
 * state, so they may run concurrently and take the read lock); loading and deleting change the slots' maps and take
 * the write lock, so no forward sees an adapter half attached or freed under it.
 */
public final class ServedEncoder implements ServedModel {

    /**
     * One row of a forward: its adapter (a loaded name, a name the resolver maps to one, or
     * {@link AdapterSelection#BASE}) and its text.
     */
    public record Row(String adapter, String text) {
    }

    private final NDManager manager;
    private final BertModel encoder;
    private final BertTokenizer tokenizer;
    private final SequenceClassifier classifier;
    private final ServedAdapters adapters;
    private final String baseId;

    private ServedEncoder(NDManager manager, BertModel encoder, BertTokenizer tokenizer, SequenceClassifier.Pooling
            pooling, int numLabels, String baseId) {
        this.manager = manager;
        this.encoder = encoder;
        this.tokenizer = tokenizer;
        this.classifier = pooling == SequenceClassifier.Pooling.CLS
                ? SequenceClassifier.cls(encoder, numLabels, 0) : SequenceClassifier.meanPooled(encoder, numLabels, 0);
        this.adapters = new ServedAdapters(classifier);
        this.baseId = baseId;
    }

    /**
     * Serves {@code encoder} with {@code tokenizer}; the classifier head has {@code numLabels} outputs, which every
     * adapter must match (each adapter brings its own head through {@code modules_to_save}). Takes ownership of
     * {@code manager} (the encoder's parent), the encoder and the tokenizer.
     */
    public static ServedEncoder of(NDManager manager, BertModel encoder, BertTokenizer tokenizer,
            SequenceClassifier.Pooling pooling, int numLabels, String baseId) {
        return new ServedEncoder(manager, encoder, tokenizer, pooling, numLabels, baseId);
    }

    /** Serves a pretrained encoder by id (as {@code peft4j train --model} names it), fetched through the cache. */
    public static ServedEncoder open(String modelId, ArtifactCache cache, int maxLength,
            SequenceClassifier.Pooling pooling, int numLabels) throws IOException {
        PretrainedModel model = PretrainedModel.fromId(modelId);
        NDManager manager = NDManager.newBaseManager();
        try {
            BertModel encoder = PretrainedEncoders.encoder(model, cache, manager);
            BertTokenizer tokenizer = PretrainedEncoders.tokenizer(model, cache, maxLength);
            return new ServedEncoder(manager, encoder, tokenizer, pooling, numLabels, modelId);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public String baseId() {
        return baseId;
    }

    public int numLabels() {
        return classifier.numLabels();
    }

    public int maxLength() {
        return tokenizer.maxLength();
    }

    @Override
    public void load(Path dir, String internalName) throws IOException {
        adapters.load(dir, internalName);
    }

    @Override
    public void delete(String internalName) {
        adapters.delete(internalName);
    }

    @Override
    public Set<String> loaded() {
        return adapters.loaded();
    }

    /**
     * The label names saved with the adapter ({@code training_args.json}), or LABEL_i; refused when their count is
     * not the served head's.
     */
    @Override
    public List<String> labels(Path dir) throws IOException {
        List<String> labels;
        if (Files.isRegularFile(dir.resolve(TrainingArgs.FILE))) {
            try {
                labels = TrainingArgs.load(dir).labelNames();
            } catch (IOException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
        } else {
            labels = new ArrayList<>();
            for (int i = 0; i < numLabels(); i++) {
                labels.add("LABEL_" + i);
            }
        }
        if (labels == null || labels.size() != numLabels()) {
            throw new IllegalArgumentException("expected " + numLabels() + " labels (the served head's), found "
                    + (labels == null ? "none" : labels.size() + " " + labels) + " in " + TrainingArgs.FILE
                    + "; serve adapters trained for a " + numLabels() + "-label task on this server");
        }
        return List.copyOf(labels);
    }

    /**
     * Logits [rows][labels] of one forward over all rows, each under its own adapter; a row whose adapter is not
     * loaded (deleted while the request waited) gets null and takes no part in the forward.
     */
    public float[][] logits(List<Row> rows) {
        return forward(rows, UnaryOperator.identity(), true);
    }

    /**
     * As {@link #logits(List)}, with each row's {@link Row#adapter()} a name that {@code resolve} turns into the
     * loaded adapter's name (null: gone) under the read lock, so that a replacement swapped in meanwhile (which
     * changes the name, then takes the write lock to free the old adapter) is seen consistently.
     */
    public float[][] logits(List<Row> rows, UnaryOperator<String> resolve) {
        return forward(rows, resolve, true);
    }

    /** Mean-pooled last hidden states [rows][hidden] (over the tokens the mask keeps), one forward, as logits. */
    public float[][] embeddings(List<Row> rows, UnaryOperator<String> resolve) {
        return forward(rows, resolve, false);
    }

    private float[][] forward(List<Row> rows, UnaryOperator<String> resolve, boolean classify) {
        return adapters.forward(rows.stream().map(Row::adapter).toList(), resolve, (present, names) -> {
            float[][] out = new float[rows.size()][];
            if (present.isEmpty()) {
                return out;
            }
            BertTokenizer.Batch batch = tokenizer.encode(present.stream().map(i -> rows.get(i).text()).toList());
            try (NDManager scope = manager.newSubManager()) {
                NDArray ids = scope.create(batch.inputIds());
                NDArray mask = scope.create(batch.attentionMask());
                NDArray types = scope.create(batch.typeIds());
                AdapterSelection selection = AdapterSelection.perRow(names);
                NDArray result;
                if (classify) {
                    result = classifier.forward(ids, mask, types, false, selection);
                } else {
                    NDArray hidden = encoder.forward(ids, mask, types, false, selection);
                    NDArray m = mask.toType(DataType.FLOAT32, false).expandDims(2);
                    result = hidden.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}).maximum(1e-9f));
                }
                int width = (int) result.getShape().get(1);
                float[] flat = result.toFloatArray();
                for (int k = 0; k < present.size(); k++) {
                    float[] row = new float[width];
                    System.arraycopy(flat, k * width, row, 0, width);
                    out[present.get(k)] = row;
                }
            }
            return out;
        });
    }

    /** Test seam: holds the write lock so forwards wait (a worker "you can hold"); returns the unlocker. */
    Runnable holdForwards() throws InterruptedException {
        return adapters.holdForwards();
    }

    @Override
    public void close() {
        adapters.closeAfterForwards(() -> {
            classifier.close();
            tokenizer.close();
            encoder.close();
            manager.close();
        });
    }
}
