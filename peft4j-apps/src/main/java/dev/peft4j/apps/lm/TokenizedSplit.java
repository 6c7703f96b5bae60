package dev.peft4j.apps.lm;

import dev.peft4j.models.llama.LlamaTokenizer;
import dev.peft4j.train.lm.EnglishCorpus;
import dev.peft4j.train.lm.TokenSequence;
import dev.peft4j.train.lm.TokenWindows;
import dev.peft4j.train.metrics.Metrics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The corpus as the pretraining sees it: training documents packed into windows ({@link TokenWindows}), and each
 * validation document cut into chunks of at most {@code length + 1} tokens that overlap by one, so every token of a
 * document after its BOS, EOS included, is predicted exactly once, with the context restarting at each chunk. That is
 * {@link NgramBaselines}' convention, so the model's validation loss and the baselines' are over the same
 * predictions, and bits per byte (total bits over the validation texts' UTF-8 bytes) compare directly.
 */
record TokenizedSplit(List<TokenSequence> train, List<TokenSequence> validation, long predictedValidationTokens,
        long validationBytes, NgramBaselines.Report baselines) {

    static TokenizedSplit of(EnglishCorpus.Split split, LlamaTokenizer tokenizer, int length) {
        List<int[]> trainDocs = encode(split.train(), tokenizer);
        List<int[]> validationDocs = encode(split.validation(), tokenizer);
        List<TokenSequence> train = new ArrayList<>();
        for (int[] window : TokenWindows.pack(trainDocs, tokenizer.eosId(), length)) {
            train.add(TokenSequence.unmasked(window));
        }
        List<TokenSequence> validation = new ArrayList<>();
        long predicted = 0;
        for (int[] document : validationDocs) {
            int[] ids = Arrays.copyOf(document, document.length + 1);
            ids[document.length] = tokenizer.eosId();
            predicted += ids.length - 1;
            for (int from = 0; from + 1 < ids.length; from += length) {
                validation.add(TokenSequence.unmasked(Arrays.copyOfRange(ids, from,
                        Math.min(ids.length, from + length + 1))));
            }
        }
        NgramBaselines.Report baselines = NgramBaselines.evaluate(trainDocs, validationDocs, tokenizer.eosId(),
                tokenizer.vocabSize(), split.validationBytes());
        if (baselines.bigram().predictedTokens() != predicted) {
            throw new IllegalStateException("The baselines predict " + baselines.bigram().predictedTokens()
                    + " validation tokens and the model " + predicted + "; the conventions have drifted apart");
        }
        return new TokenizedSplit(train, validation, predicted, split.validationBytes(), baselines);
    }

    private static List<int[]> encode(List<EnglishCorpus.Document> documents, LlamaTokenizer tokenizer) {
        List<int[]> out = new ArrayList<>();
        for (EnglishCorpus.Document d : documents) {
            out.add(tokenizer.encode(d.text(), true));
        }
        return out;
    }

    double validationBytesPerToken() {
        return (double) validationBytes / predictedValidationTokens;
    }

    /** A validation pass's loss (mean nats per predicted token), perplexity and bits per byte. */
    Map<String, Object> lossFigures(Metrics metrics) {
        double loss = metrics.get("loss");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("loss", loss);
        out.put("perplexity", Math.exp(loss));
        out.put("bits_per_byte", loss * predictedValidationTokens / Math.log(2) / validationBytes);
        return out;
    }

    /** Both baselines' figures, in the same form as {@link #lossFigures}. */
    Map<String, Object> baselineFigures() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (NgramBaselines.Evaluation e : List.of(baselines.unigram(), baselines.bigram())) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("loss", e.meanNll());
            one.put("perplexity", e.perplexity());
            one.put("bits_per_byte", e.bitsPerByte());
            out.put(e.model(), one);
        }
        return out;
    }
}
