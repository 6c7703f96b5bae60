package dev.peft4j.apps.text;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.AdaptableModel;
import dev.peft4j.core.adapter.LoadOptions;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.io.AtomicDirectory;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.PretrainedEncoders;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.data.TextExample;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.metrics.Metrics;
import dev.peft4j.train.objective.ClassificationObjective;
import dev.peft4j.train.text.TextClassifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A saved adapter loaded back onto its base encoder and head: what {@code eval}, {@code export} and
 * {@code merge} work on. Closing it frees the model.
 */
public final class TrainedClassifier implements AutoCloseable {

    private final NDManager manager;
    private final BertModel encoder;
    private final BertTokenizer tokenizer;
    private final SequenceClassifier classifier;
    private final PeftModel peft;
    private final TrainingArgs args;

    private TrainedClassifier(NDManager manager, BertModel encoder, BertTokenizer tokenizer,
            SequenceClassifier classifier, PeftModel peft, TrainingArgs args) {
        this.manager = manager;
        this.encoder = encoder;
        this.tokenizer = tokenizer;
        this.classifier = classifier;
        this.peft = peft;
        this.args = args;
    }

    public static TrainedClassifier open(Path adapterDir, ArtifactCache cache) throws IOException {
        return open(adapterDir, cache, false);
    }

    /**
     * The classifier a saved adapter describes.
     *
     * @param allowOtherBase load even when the adapter's base-weight fingerprints differ from this base's
     */
    public static TrainedClassifier open(Path adapterDir, ArtifactCache cache, boolean allowOtherBase)
            throws IOException {
        TrainingArgs args = TrainingArgs.load(adapterDir);
        NDManager manager = NDManager.newBaseManager();
        try {
            BertModel encoder = PretrainedEncoders.encoder(args.pretrainedModel(), cache, manager);
            BertTokenizer tokenizer = PretrainedEncoders.tokenizer(args.pretrainedModel(), cache, args.maxLength());
            int labels = args.labelNames().size();
            // The head's initial values don't matter: the saved adapter overwrites them (modules_to_save).
            SequenceClassifier classifier = args.poolingMode() == SequenceClassifier.Pooling.CLS
                    ? SequenceClassifier.cls(encoder, labels, 0) : SequenceClassifier.meanPooled(encoder, labels, 0);
            PeftModel peft = PeftModel.load(classifier, adapterDir, false,
                    LoadOptions.strict().withAllowOtherBase(allowOtherBase));
            return new TrainedClassifier(manager, encoder, tokenizer, classifier, peft, args);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public TextClassifier textClassifier() {
        return new TextClassifier(tokenizer, classifier, peft);
    }

    public PeftModel peft() {
        return peft;
    }

    public SequenceClassifier classifier() {
        return classifier;
    }

    public TrainingArgs args() {
        return args;
    }

    /**
     * The adapter's metrics on {@code examples} (no dropout, no gradients); refuses a task whose labels differ from
     * the ones the adapter was trained with.
     */
    public Metrics evaluate(List<TextExample> examples, List<String> taskLabels, int batchSize) {
        if (!args.labelNames().equals(taskLabels)) {
            throw new IllegalArgumentException("The adapter was trained with " + args.labelNames().size() + " labels "
                    + args.labelNames() + " but the task has " + taskLabels.size() + " " + taskLabels
                    + "; evaluate it on the task it was trained for");
        }
        return new Trainer<>(new ClassificationObjective<>(textClassifier()),
                TrainerConfig.builder().optBatchSize(batchSize).build()).evaluate(examples);
    }

    /**
     * Folds the adapter into the base and writes the plain model as {@code dir/model.safetensors} (with the base
     * model's id in the metadata) plus a SHA-256 manifest, replacing {@code dir} as a whole
     * ({@link AtomicDirectory}); returns the number of tensors written. The adapter is unloaded after.
     */
    public int writeMerged(Path dir) throws IOException {
        AdaptableModel merged = peft.mergeAndUnload();
        Map<String, TensorData> tensors = new LinkedHashMap<>();
        merged.parameters().forEach((name, t) -> tensors.put(name,
                TensorData.ofFloats(t.getShape().getShape(), t.toFloatArray())));
        // replaced as a whole, with a manifest of digests: a kill mid-write leaves the previous merged model
        AtomicDirectory.replace(dir, fresh -> SafeTensors.write(fresh.resolve("model.safetensors"), tensors,
                Map.of("format", "pt", "base_model", args.model())));
        return tensors.size();
    }

    @Override
    public void close() {
        classifier.close();
        tokenizer.close();
        encoder.close();
        manager.close();
    }
}
