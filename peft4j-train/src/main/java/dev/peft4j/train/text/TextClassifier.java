package dev.peft4j.train.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.data.TextExample;
import dev.peft4j.train.objective.Classifier;
import java.util.ArrayList;
import java.util.List;

/** Sequence classification of {@link TextExample}s: tokenise (single texts or pairs), encode, pool, head. */
public final class TextClassifier implements Classifier<TextExample> {

    private final BertTokenizer tokenizer;
    private final SequenceClassifier model;
    private final PeftModel peft;

    public TextClassifier(BertTokenizer tokenizer, SequenceClassifier model, PeftModel peft) {
        this.tokenizer = tokenizer;
        this.model = model;
        this.peft = peft;
    }

    @Override
    public NDArray logits(List<TextExample> batch, NDManager manager, boolean training) {
        List<String> texts = new ArrayList<>(batch.size());
        List<String> pairs = new ArrayList<>(batch.size());
        for (TextExample example : batch) {
            texts.add(example.text());
            pairs.add(example.textPair());
        }
        BertTokenizer.Batch encoded = batch.get(0).textPair() == null ? tokenizer.encode(texts)
                : tokenizer.encodePairs(texts, pairs);
        NDList inputs = encoded.toNDList(manager);
        return model.forward(inputs.get(0), inputs.get(1), inputs.get(2), training);
    }

    @Override
    public int label(TextExample example) {
        return example.label();
    }

    @Override
    public int numLabels() {
        return model.numLabels();
    }

    @Override
    public PeftModel peftModel() {
        return peft;
    }
}
