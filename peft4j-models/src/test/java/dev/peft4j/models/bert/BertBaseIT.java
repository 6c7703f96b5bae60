package dev.peft4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.models.io.OnnxInitializers;
import dev.peft4j.models.io.TfTensorBundle;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Google's BERT-Base uncased from its Maven jar (a TF SavedModel): sizes and parameter counts, the
 * checkpoint's own masked-LM head filling in blanks, the tokenizer built from {@code vocab.txt}
 * against MiniLM's {@code tokenizer.json} (the same bert-base-uncased vocabulary), use as a
 * classifier encoder, and LoLDU wrapping it without changing its output at initialisation.
 */
class BertBaseIT {

    private static final PretrainedModel BERT = PretrainedModel.BERT_BASE_UNCASED;
    private static NDManager manager;
    private static BertModel model;
    private static BertTokenizer tokenizer;
    private static Path savedModel;
    private static List<String> vocab;

    @BeforeAll
    static void load() throws IOException {
        Path jar = ModelJars.jar(BERT);
        manager = NDManager.newBaseManager();
        long start = System.nanoTime();
        model = BertModel.load(BERT, jar, manager);
        System.out.printf("bert-base-uncased loaded in %.1f s%n", (System.nanoTime() - start) / 1e9);
        tokenizer = BertTokenizer.load(BERT, jar, 128);
        savedModel = SavedModelJar.extract(BERT, jar);
        vocab = Files.readAllLines(savedModel.resolve(SavedModelJar.VOCAB), StandardCharsets.UTF_8);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        model.close();
        manager.close();
    }

    @Test
    void sizesAndParameterCounts() throws IOException {
        BertConfig c = model.config();
        assertEquals(List.of(30522, 768, 12, 12, 3072, 512, 2), List.of(c.vocabSize(), c.hiddenSize(), c.numLayers(),
                c.numHeads(), c.intermediateSize(), c.maxPositions(), c.typeVocabSize()));
        assertEquals(1e-12f, c.layerNormEps());
        assertEquals(72, model.linearLayers().size());
        assertArrayEquals(new long[] {768, 3072},
                model.linearLayers().get("encoder.layer.11.output.dense").weight().getShape().getShape());
        long encoder = model.parameters().values().stream().mapToLong(p -> p.getShape().size()).sum();
        assertEquals(108_891_648L, encoder); // Hugging Face's BertModel without its pooler
        try (TfBertCheckpoint checkpoint = TfBertCheckpoint.open(savedModel.resolve(SavedModelJar.VARIABLES_PREFIX))) {
            assertTrue(checkpoint.hasMlmHead());
            long stored = checkpoint.tensors().entries().values().stream().mapToLong(TfTensorBundle.Entry::elements)
                    .sum();
            long pooler = 768L * 768 + 768;
            long mlmHead = 768L * 768 + 768 + 2 * 768 + 30522; // transform dense, LayerNorm, output bias
            System.out.printf("bert-base-uncased: %d tensors, %,d floats stored = encoder %,d + pooler %,d + MLM head"
                    + " %,d%n", checkpoint.tensors().entries().size(), stored, encoder, pooler, mlmHead);
            assertEquals(encoder + pooler + mlmHead, stored);
        }
    }

    @Test
    void kernelsAreTransposedToOutIn() throws IOException {
        try (TfTensorBundle bundle = TfTensorBundle.open(savedModel.resolve(SavedModelJar.VARIABLES_PREFIX))) {
            String name = "module/bert/encoder/layer_3/intermediate/dense/kernel";
            OnnxInitializers.FloatTensor kernel = bundle.floats(name);
            assertArrayEquals(new long[] {768, 3072}, kernel.shape()); // [in, out] as TF stores it
            NDArray weight = model.linearLayers().get("encoder.layer.3.intermediate.dense").weight(); // [3072, 768]
            // weight[o, i] == kernel[i, o]
            assertEquals(kernel.data()[5 * 3072 + 7], weight.getFloat(7, 5));
            assertEquals(kernel.data()[700 * 3072 + 3000], weight.getFloat(3000, 700));
        }
    }

    @Test
    void mlmHeadFillsInTheBlank() throws IOException {
        List<String> capital = topTokens("the capital of france is [MASK].", 5);
        List<String> love = topTokens("i love this [MASK].", 5);
        List<String> ate = topTokens("she ate an [MASK] for breakfast.", 5);
        System.out.println("the capital of france is [MASK]. -> " + capital);
        System.out.println("i love this [MASK]. -> " + love);
        System.out.println("she ate an [MASK] for breakfast. -> " + ate);
        assertEquals("paris", capital.get(0), "top 5: " + capital);
        assertTrue(love.stream().anyMatch(Set.of("song", "place", "city", "movie", "game", "book", "show", "town",
                "girl", "man", "music", "country", "world", "life", "job", "house", "band", "film")::contains),
                "top 5: " + love);
        assertTrue(ate.contains("apple") || ate.contains("egg") || ate.contains("orange"), "top 5: " + ate);
    }

    @Test
    void vocabTokenizerMatchesMiniLmTokenizerJson() throws IOException {
        assertEquals(30522, vocab.size());
        Path miniLm = ModelJars.jar(PretrainedModel.ALL_MINILM_L6_V2);
        try (BertTokenizer reference = BertTokenizer.load(PretrainedModel.ALL_MINILM_L6_V2, miniLm, 128)) {
            List<String> texts = List.of("Hello, World! Café déjà-vu [MASK] naïve résumé",
                    "Parameter-efficient fine-tuning of 110M-parameter encoders on 2 cores",
                    "北京 is in China; unbelievably   spaced\ttext\nwith newlines", "");
            BertTokenizer.Batch ours = tokenizer.encode(texts);
            BertTokenizer.Batch theirs = reference.encode(texts);
            assertArrayEquals(theirs.inputIds(), ours.inputIds());
            assertArrayEquals(theirs.attentionMask(), ours.attentionMask());
            BertTokenizer.Batch pairs = tokenizer.encodePairs(List.of("is it raining?"), List.of("no, it is sunny."));
            assertArrayEquals(reference.encodePairs(List.of("is it raining?"), List.of("no, it is sunny.")).typeIds(),
                    pairs.typeIds());
        }
    }

    @Test
    void classifierOnTopAndLolduIdentityAtInit() {
        List<String> texts = List.of("Win a free cruise now!!!", "Meeting moved to 3pm, see agenda attached.");
        try (NDManager step = manager.newSubManager()) {
            NDList in = tokenizer.encode(texts).toNDList(step);
            NDArray before = model.forward(in.get(0), in.get(1), in.get(2), false);
            try (SequenceClassifier classifier = SequenceClassifier.meanPooled(model, 2, 7)) {
                NDArray logits = classifier.forward(in.get(0), in.get(1), in.get(2), false);
                assertEquals(new Shape(2, 2), logits.getShape());
                PeftModel peft = Peft.wrap(classifier,
                        LolduConfig.builder().setRank(64).optTargetModules("query", "value").build());
                long trainable = peft.adapterParameters().values().stream().mapToLong(t -> t.getShape().size()).sum();
                assertEquals(12 * 2 * 64, trainable);
                NDArray after = model.forward(in.get(0), in.get(1), in.get(2), false);
                float relative = after.sub(before).abs().max().getFloat() / before.abs().max().getFloat();
                System.out.printf("LoLDU r=64 on q,v of bert-base: %d trainable, max relative diff at init %.3g%n",
                        trainable, relative);
                // delta form: LoLDU adds exactly 0 at init, so the encoder's output is the base's, bit for bit
                assertEquals(0f, relative, 0f, "max relative diff " + relative);
                peft.close();
            }
        }
    }

    /** The {@code k} most likely tokens at the [MASK] of {@code text}, through the checkpoint's MLM head. */
    private static List<String> topTokens(String text, int k) throws IOException {
        try (NDManager step = manager.newSubManager();
                TfBertCheckpoint checkpoint = TfBertCheckpoint.open(
                        savedModel.resolve(SavedModelJar.VARIABLES_PREFIX))) {
            BertTokenizer.Batch batch = tokenizer.encode(List.of(text));
            int mask = -1;
            for (int i = 0; i < batch.seqLength(); i++) {
                mask = batch.inputIds()[0][i] == vocab.indexOf("[MASK]") ? i : mask;
            }
            assertTrue(mask > 0, "no [MASK] token in " + text);
            NDList in = batch.toNDList(step);
            NDArray hidden = model.forward(in.get(0), in.get(1), in.get(2), false).get(new NDIndex("0, {}", mask))
                    .reshape(1, 768); // [1, hidden]
            NDArray h = Linear.linear(hidden, tensor(checkpoint, "cls.predictions.transform.dense.weight",
                    step), tensor(checkpoint, "cls.predictions.transform.dense.bias", step)).singletonOrThrow();
            h = LayerNorm.layerNorm(Activation.gelu(h), new Shape(768),
                    tensor(checkpoint, "cls.predictions.transform.LayerNorm.weight", step),
                    tensor(checkpoint, "cls.predictions.transform.LayerNorm.bias", step), 1e-12f).singletonOrThrow();
            // The decoder is tied to the word embeddings: [vocab, hidden].
            NDArray words = model.parameters().get("embeddings.word_embeddings.weight");
            NDArray logits = Linear.linear(h, words, tensor(checkpoint, "cls.predictions.bias", step))
                    .singletonOrThrow(); // [1, vocab]
            NDArray order = logits.reshape(-1).argSort(0, false);
            List<String> top = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                top.add(vocab.get((int) order.getLong(i)));
            }
            return top;
        }
    }

    private static NDArray tensor(TfBertCheckpoint checkpoint, String hfName, NDManager step) throws IOException {
        OnnxInitializers.FloatTensor t = checkpoint.require(hfName);
        return step.create(t.data(), new Shape(t.shape()));
    }
}
