package dev.peft4j.models.bert;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.util.PairList;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * WordPiece tokenization for a BERT encoder, through DJL's binding of Hugging Face
 * {@code tokenizers} reading the model's own {@code tokenizer.json} (streamed out of the model
 * jar, or built from its {@code vocab.txt}; nothing is downloaded). Batches are truncated to a
 * maximum length and padded to the longest sequence in the batch, overriding whatever padding the
 * JSON file carries.
 */
public final class BertTokenizer implements AutoCloseable {

    /**
     * One tokenized batch, every row padded to the same length.
     *
     * @param inputIds [batch, seq] token ids, 0 ({@code [PAD]}) at padding
     * @param attentionMask [batch, seq], 1 for tokens and 0 for padding
     * @param typeIds [batch, seq] segment ids: 0 for the first text, 1 for the second of a pair
     */
    public record Batch(long[][] inputIds, long[][] attentionMask, long[][] typeIds) {

        public int size() {
            return inputIds.length;
        }

        public int seqLength() {
            return inputIds.length == 0 ? 0 : inputIds[0].length;
        }

        /** ids, mask and type ids as int64 [batch, seq] arrays on {@code manager}. */
        public NDList toNDList(NDManager manager) {
            return new NDList(manager.create(inputIds), manager.create(attentionMask), manager.create(typeIds));
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;

    private BertTokenizer(HuggingFaceTokenizer tokenizer, int maxLength) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
    }

    /** The tokenizer of a pretrained model, read from its jar. */
    public static BertTokenizer load(PretrainedModel model, Path jar, int maxLength) throws IOException {
        if (model.format() == PretrainedModel.Format.TF_SAVED_MODEL_ZIP) {
            return fromVocab(SavedModelJar.extract(model, jar).resolve(SavedModelJar.VOCAB), maxLength);
        }
        return model.readEntry(jar, model.tokenizerEntry(), (in, source) -> fromJson(in, maxLength));
    }

    /**
     * An uncased BERT WordPiece tokenizer from a {@code vocab.txt} (one token per line, the line
     * number is the id), built as the {@code tokenizer.json} Hugging Face writes for
     * {@code bert-base-uncased}: lower-casing BertNormalizer, BertPreTokenizer, WordPiece with
     * {@code ##} continuations, {@code [CLS] A [SEP] B [SEP]} templates.
     */
    public static BertTokenizer fromVocab(Path vocabTxt, int maxLength) throws IOException {
        String json = WordPieceJson.uncased(Files.readAllLines(vocabTxt, StandardCharsets.UTF_8), vocabTxt.toString());
        return fromJson(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), maxLength);
    }

    /** A tokenizer from a {@code tokenizer.json} stream; the stream is read fully, not closed. */
    public static BertTokenizer fromJson(InputStream tokenizerJson, int maxLength) throws IOException {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2 ([CLS] and [SEP]), found " + maxLength);
        }
        Map<String, String> options = Map.of(
                "maxLength", Integer.toString(maxLength),
                "truncation", "true", // longest_first: pairs lose tokens from the longer text first
                "padding", "true", // to the longest in the batch
                "addSpecialTokens", "true");
        return new BertTokenizer(HuggingFaceTokenizer.newInstance(tokenizerJson, options), maxLength);
    }

    public int maxLength() {
        return maxLength;
    }

    /** Single texts: {@code [CLS] text [SEP]}, type ids all 0. */
    public Batch encode(List<String> texts) {
        requireNonEmpty(texts.size());
        return toBatch(tokenizer.batchEncode(texts));
    }

    /** Sentence pairs: {@code [CLS] a [SEP] b [SEP]}, type ids 0 for a (and its [SEP]), 1 for b. */
    public Batch encodePairs(List<String> first, List<String> second) {
        if (first.size() != second.size()) {
            throw new IllegalArgumentException("A pair batch needs as many second texts as first texts, found "
                    + first.size() + " and " + second.size());
        }
        requireNonEmpty(first.size());
        return toBatch(tokenizer.batchEncode(new PairList<>(first, second)));
    }

    /** The tokens of one text as the model sees them: with [CLS] and [SEP], without padding (for inspection). */
    public List<String> tokenize(String text) {
        return tokenizer.tokenize(text);
    }

    private static Batch toBatch(Encoding[] encodings) {
        int batch = encodings.length;
        int seq = 0;
        for (Encoding e : encodings) {
            seq = Math.max(seq, e.getIds().length);
        }
        long[][] ids = new long[batch][seq];
        long[][] mask = new long[batch][seq];
        long[][] types = new long[batch][seq];
        for (int b = 0; b < batch; b++) {
            // Padding is already to the batch's longest; copying guards against a file that pads otherwise.
            copy(encodings[b].getIds(), ids[b]);
            copy(encodings[b].getAttentionMask(), mask[b]);
            copy(encodings[b].getTypeIds(), types[b]);
        }
        return new Batch(ids, mask, types);
    }

    private static void copy(long[] from, long[] to) {
        System.arraycopy(from, 0, to, 0, Math.min(from.length, to.length));
    }

    private static void requireNonEmpty(int size) {
        if (size == 0) {
            throw new IllegalArgumentException("Cannot tokenize an empty batch; pass at least one text");
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
