package dev.peft4j.serve;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.apps.text.TrainingArgs;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.method.loldu.LolduInit;
import dev.peft4j.core.nd.Tensors;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.SequenceClassifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The test fixture: a tiny random BERT (hidden 32, vocab 100) with a word-level vocab, LoLDU adapters made on it
 * with their own heads, and the in-process reference a served result must equal.
 */
final class TinyBase {

    static final long BASE_SEED = 11;
    static final List<String> LABELS = List.of("neg", "pos");
    static final int MAX_LENGTH = 32;
    private static final List<String> WORDS = List.of("the", "a", "movie", "film", "was", "is", "good", "bad",
            "great", "awful", "plot", "actors", "loved", "hated", "it", "very", "not", "fun", "boring", "music");

    private TinyBase() {
    }

    static Path vocab(Path dir) throws IOException {
        List<String> vocab = new ArrayList<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        vocab.addAll(WORDS);
        Files.createDirectories(dir);
        return Files.write(dir.resolve("vocab.txt"), vocab, StandardCharsets.UTF_8);
    }

    /** The served base: the seed-11 encoder, mean pooling, two labels. */
    static ServedEncoder served(Path vocab) throws IOException {
        NDManager manager = NDManager.newBaseManager();
        return ServedEncoder.of(manager, BertModel.randomTiny(BASE_SEED, manager),
                BertTokenizer.fromVocab(vocab, MAX_LENGTH), SequenceClassifier.Pooling.MEAN, LABELS.size(),
                "random-tiny");
    }

    static LolduConfig loldu() {
        return LolduConfig.builder().setRank(4).optInit(LolduInit.NORMAL).optTrainSigma(true)
                .optTargetModules(TargetModules.allLinear()).optModulesToSave(SequenceClassifier.HEAD).build();
    }

    /**
     * An adapter saved on the encoder of {@code baseSeed} with its trainable tensors (z, sigma, the head copy)
     * moved off their init by {@code shift}, plus training_args.json with {@link #LABELS}.
     */
    static Path adapter(Path dir, long baseSeed, float shift) throws IOException {
        return adapter(dir, baseSeed, shift, false);
    }

    /** As {@link #adapter(Path, long, float)}; {@code poisoned}: one value of each tensor is NaN. */
    static Path adapter(Path dir, long baseSeed, float shift, boolean poisoned) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            BertModel encoder = BertModel.randomTiny(baseSeed, manager);
            SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, LABELS.size(), 42);
            PeftModel peft = Peft.wrap(classifier, loldu());
            peft.trainableParameters().values().forEach(t -> {
                float[] v = t.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    v[i] = v[i] * (1.1f + shift) + shift * ((i % 7) - 3) * 0.05f;
                }
                if (poisoned) {
                    v[0] = Float.NaN;
                }
                Tensors.overwrite(t, v);
            });
            peft.save(dir);
            classifier.close();
            encoder.close();
        }
        Files.writeString(dir.resolve(TrainingArgs.FILE), new ObjectMapper().writeValueAsString(
                new TrainingArgs("random-tiny", "test", MAX_LENGTH, "MEAN", LABELS)));
        return dir;
    }

    /**
     * The in-process single-request result: {@code adapterDir} loaded alone on a fresh base, {@code texts} as one
     * batch under {@code AdapterSelection.of}, softmax: probabilities [text][label].
     */
    static double[][] reference(Path vocab, Path adapterDir, List<String> texts) throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                BertTokenizer tokenizer = BertTokenizer.fromVocab(vocab, MAX_LENGTH)) {
            BertModel encoder = BertModel.randomTiny(BASE_SEED, manager);
            SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, LABELS.size(), 0);
            PeftModel.load(classifier, adapterDir, false);
            BertTokenizer.Batch batch = tokenizer.encode(texts);
            float[] logits = classifier.forward(manager.create(batch.inputIds()), manager.create(batch.attentionMask()),
                    manager.create(batch.typeIds()), false, AdapterSelection.of(PeftModel.DEFAULT_ADAPTER))
                    .toFloatArray();
            double[][] out = new double[texts.size()][LABELS.size()];
            for (int i = 0; i < texts.size(); i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < LABELS.size(); j++) {
                    max = Math.max(max, logits[i * LABELS.size() + j]);
                }
                double sum = 0;
                for (int j = 0; j < LABELS.size(); j++) {
                    out[i][j] = Math.exp(logits[i * LABELS.size() + j] - max);
                    sum += out[i][j];
                }
                for (int j = 0; j < LABELS.size(); j++) {
                    out[i][j] /= sum;
                }
            }
            classifier.close();
            encoder.close();
            return out;
        }
    }
}
