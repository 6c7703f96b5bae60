package dev.peft4j.apps.lm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.train.lm.EnglishCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains the 4,096-token vocabulary on the real corpus's training part, runs it through DJL on the validation
 * part, and scores the n-gram baselines with it: the numbers the pretrained model is compared against.
 */
class BpeCorpusIT {

    private static final int VOCAB = 4096;

    @TempDir
    Path dir;

    @Test
    void trainsFastAndCompressesValidationTextAsExpected() throws IOException {
        EnglishCorpus.Split split = EnglishCorpus.load(ArtifactCache.defaultCache()).split();
        List<String> trainTexts = split.train().stream().map(EnglishCorpus.Document::text).toList();
        long start = System.nanoTime();
        BpeTrainer.Vocabulary vocabulary = BpeTrainer.train(trainTexts, VOCAB);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("bpe IT: %d tokens (%d merges) from %d bytes, %d words (%d distinct) in %.1f s%n",
                vocabulary.size(), vocabulary.merges().size(), split.trainBytes(), vocabulary.words(),
                vocabulary.distinctWords(), seconds);
        assertEquals(VOCAB, vocabulary.size());
        assertTrue(seconds < 60, "BPE training took " + seconds + " s");
        TokenizerJson.write(dir, vocabulary, 1024);
        System.out.printf("bpe IT: tokenizer.json %d bytes%n", Files.size(dir.resolve(TokenizerJson.TOKENIZER_JSON)));

        Map<String, String> options = Map.of("addSpecialTokens", "false", "padding", "false", "truncation", "false");
        try (HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                options)) {
            long encodeStart = System.nanoTime();
            List<int[]> train = encode(tokenizer, split.train());
            List<int[]> validation = encode(tokenizer, split.validation());
            double encodeSeconds = (System.nanoTime() - encodeStart) / 1e9;
            long trainTokens = train.stream().mapToLong(d -> d.length - 1).sum();
            long validationTokens = validation.stream().mapToLong(d -> d.length - 1).sum();
            double trainBytesPerToken = (double) split.trainBytes() / trainTokens;
            double bytesPerToken = (double) split.validationBytes() / validationTokens;
            System.out.printf("bpe IT: encoded in %.1f s; train %d tokens (%.3f bytes/token), validation %d tokens "
                    + "(%.3f bytes/token)%n", encodeSeconds, trainTokens, trainBytesPerToken, validationTokens,
                    bytesPerToken);
            assertTrue(bytesPerToken > 3.3 && bytesPerToken < 4.8, "bytes per token " + bytesPerToken);

            String sample = split.validation().get(0).text();
            long[] ids = tokenizer.encode(sample, false, false).getIds();
            assertEquals(sample, tokenizer.decode(ids, true), "a validation document round-trips");
            long[] whale = tokenizer.encode(" whale", false, false).getIds();
            assertArrayEquals(new long[] {vocabulary.idOf(BpeTrainer.toByteLevel(" whale"))}, whale);

            NgramBaselines.Report report = NgramBaselines.evaluate(train, validation, BpeTrainer.EOS_ID, VOCAB,
                    split.validationBytes());
            System.out.println("bpe IT: " + report.unigram());
            System.out.println("bpe IT: " + report.bigram());
            assertEquals(validationTokens + validation.size(), report.bigram().predictedTokens(), "tokens + EOS");
            assertTrue(report.bigram().bitsPerByte() < report.unigram().bitsPerByte(), report.toString());
            assertTrue(report.unigram().bitsPerByte() > 1.5 && report.unigram().bitsPerByte() < 3.5,
                    report.unigram().toString());
            assertTrue(report.bigram().bitsPerByte() > 1.0 && report.bigram().bitsPerByte() < 3.0,
                    report.bigram().toString());
        }
    }

    /** Each document's ids with BOS first (the tokenizer's template), as int[]. */
    private static List<int[]> encode(HuggingFaceTokenizer tokenizer, List<EnglishCorpus.Document> documents) {
        List<int[]> out = new ArrayList<>(documents.size());
        for (EnglishCorpus.Document d : documents) {
            long[] ids = tokenizer.encode(d.text(), true, false).getIds();
            int[] tokens = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                tokens[i] = Math.toIntExact(ids[i]);
            }
            if (tokens[0] != BpeTrainer.BOS_ID) {
                throw new AssertionError("Expected BOS first in " + d.id());
            }
            out.add(tokens);
        }
        return out;
    }
}
