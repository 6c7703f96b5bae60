package dev.peft4j.train.text;

import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.data.ArtifactCache;
import java.io.IOException;
import java.nio.file.Path;

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
        TrainingArgs args = TrainingArgs.load(adapterDir);
        NDManager manager = NDManager.newBaseManager();
        try {
            BertModel encoder = PretrainedEncoders.encoder(args.pretrainedModel(), cache, manager);
            BertTokenizer tokenizer = PretrainedEncoders.tokenizer(args.pretrainedModel(), cache, args.maxLength());
            int labels = args.labelNames().size();
            // The head's initial values don't matter: the saved adapter overwrites them (modules_to_save).
            SequenceClassifier classifier = args.poolingMode() == SequenceClassifier.Pooling.CLS
                    ? SequenceClassifier.cls(encoder, labels, 0) : SequenceClassifier.meanPooled(encoder, labels, 0);
            PeftModel peft = PeftModel.load(classifier, adapterDir, false);
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

    @Override
    public void close() {
        classifier.close();
        tokenizer.close();
        encoder.close();
        manager.close();
    }
}
