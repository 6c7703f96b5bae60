package dev.peft4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.precision.Precision;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.BertConfig;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.PretrainedEncoders;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;

/**
 * The benchmarked model and batch: any number of independent copies of the pretrained encoder (so that configurations
 * can be measured interleaved, each on its own weights), its sizes for the FLOP count, and a synthetic batch with real
 * shapes. Token ids are random (seeded) between {@code [CLS]} and {@code [SEP]}, the attention mask is all ones and
 * the labels are random bits: the cost of a step depends on the shapes, not on the text.
 */
final class Workload {

    private static final long CLS = 101;
    private static final long SEP = 102;
    private static final long FIRST_WORDPIECE = 1000; // past BERT's [unused] and special tokens

    private final PretrainedModel model;
    private final ArtifactCache cache;
    private final BertConfig config;
    private final long[] ids; // [batch * seq]
    private final int[] labels; // [batch]
    private final int batch;
    private final int seq;

    private Workload(PretrainedModel model, ArtifactCache cache, BertConfig config, int batch, int seq) {
        this.model = model;
        this.cache = cache;
        this.config = config;
        this.batch = batch;
        this.seq = seq;
        if (seq > config.maxPositions()) {
            throw new IllegalArgumentException("seq " + seq + " exceeds the " + config.maxPositions() + " positions of "
                    + model.id() + "; use --max-length " + config.maxPositions() + " or less");
        }
        Random random = new Random(42);
        ids = new long[batch * seq];
        labels = new int[batch];
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < seq; t++) {
                long id = FIRST_WORDPIECE + random.nextInt(config.vocabSize() - (int) FIRST_WORDPIECE);
                ids[b * seq + t] = t == 0 ? CLS : t == seq - 1 ? SEP : id;
            }
            labels[b] = random.nextInt(2);
        }
    }

    /** Fetches the model's jar into {@code cache} if needed and reads its sizes. */
    static Workload load(PretrainedModel model, ArtifactCache cache, int batch, int seq) throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel probe = PretrainedEncoders.encoder(model, cache, manager)) {
            return new Workload(model, cache, probe.config(), batch, seq);
        }
    }

    /** A fresh copy of the encoder under {@code manager}, with a 2-label mean-pooled head. */
    SequenceClassifier classifier(NDManager manager) {
        try {
            return SequenceClassifier.meanPooled(PretrainedEncoders.encoder(model, cache, manager), 2, 42);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot load " + model.id() + " again: " + e.getMessage(), e);
        }
    }

    /** {@code config} attached to a fresh copy; the plain model (no adapter) for {@link MethodCase#base()}. */
    PeftModel wrap(MethodCase method, NDManager manager) {
        return wrap(method, manager, Precision.FP32);
    }

    /** {@link #wrap(MethodCase, NDManager)} with the copy's base products in {@code precision}. */
    PeftModel wrap(MethodCase method, NDManager manager, Precision precision) {
        SequenceClassifier classifier = classifier(manager);
        Peft.setPrecision(classifier, precision);
        return method.config() == null ? Peft.empty(classifier) : Peft.wrap(classifier, method.config());
    }

    /** Token ids [batch, seq] (int64) in {@code manager}: create them in the step's manager, activations follow. */
    NDArray ids(NDManager manager) {
        return manager.create(ids, new Shape(batch, seq));
    }

    /** All-ones attention mask [batch, seq]. */
    NDArray mask(NDManager manager) {
        return manager.ones(new Shape(batch, seq), DataType.INT64);
    }

    /** The first {@code rows} rows of {@link #ids} (a smaller request of the same texts). */
    NDArray ids(NDManager manager, int rows) {
        return manager.create(java.util.Arrays.copyOf(ids, rows * seq), new Shape(rows, seq));
    }

    /** All-ones attention mask [rows, seq]. */
    NDArray mask(NDManager manager, int rows) {
        return manager.ones(new Shape(rows, seq), DataType.INT64);
    }

    NDArray labels(NDManager manager) {
        return manager.create(labels);
    }

    int batch() {
        return batch;
    }

    int seq() {
        return seq;
    }

    PretrainedModel model() {
        return model;
    }

    /** The sizes {@link FlopCounter} needs, with the 2-label head. */
    FlopCounter.ModelShape shape() {
        return new FlopCounter.ModelShape(config.numLayers(), config.hiddenSize(), config.intermediateSize(), 2, batch,
                seq);
    }

    /** min(m, n) of every encoder linear (all have the hidden size on one side): LoLDU's full rank. */
    int fullRank() {
        return config.hiddenSize();
    }
}
