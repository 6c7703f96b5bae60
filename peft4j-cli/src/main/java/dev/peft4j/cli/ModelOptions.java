package dev.peft4j.cli;

import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import picocli.CommandLine.Option;

/** Which pretrained encoder, how texts are cut, how the sequence is pooled. */
final class ModelOptions {

    @Option(names = "--model", defaultValue = "all-minilm-l6-v2", converter = PretrainedModelConverter.class,
            description = "Pretrained encoder: all-minilm-l6-v2, bge-small-en-v1.5 or bert-base-uncased"
                    + " (default: ${DEFAULT-VALUE}).")
    PretrainedModel model;

    @Option(names = "--max-length", defaultValue = "128", description = "Tokens per text (default: ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--pooling", defaultValue = "MEAN", description = "MEAN or CLS (default: ${DEFAULT-VALUE}).")
    SequenceClassifier.Pooling pooling;

    /** Accepts the CLI ids and lists them on a wrong value. */
    static final class PretrainedModelConverter implements picocli.CommandLine.ITypeConverter<PretrainedModel> {
        @Override
        public PretrainedModel convert(String value) {
            return PretrainedModel.fromId(value);
        }
    }
}
