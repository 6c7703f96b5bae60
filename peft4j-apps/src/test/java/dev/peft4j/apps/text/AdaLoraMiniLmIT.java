package dev.peft4j.apps.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.method.adalora.AdaLoraConfig;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.PretrainedEncoders;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.data.Datasets;
import dev.peft4j.train.data.Split;
import dev.peft4j.train.data.TextExample;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.objective.ClassificationObjective;
import dev.peft4j.train.text.TextClassifier;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AdaLoRA (init_r 12, target_r 8 on query and value: 12 weights, 144 triplets down to 96) for four steps on the real
 * all-MiniLM-L6-v2 weights and real SpamAssassin e-mails: the loss goes down, the trainer's last step is the final
 * allocation (budgets 116, 102, 96, then 96 fixed), and the saved adapter (only the kept triplets, as peft saves
 * it) loads back to the same logits.
 */
class AdaLoraMiniLmIT {

    private static final List<String> PROBE = List.of("Free money!!! Click here to claim your prize now",
            "The meeting moved to Thursday at ten.");

    @Test
    void aFewStepsLowerTheLossAndEndAtTheTargetBudget(@TempDir Path tmp) throws Exception {
        ArtifactCache cache = ArtifactCache.defaultCache();
        Split spam = Datasets.byName("spam", cache, 42);
        List<TextExample> train = FineTuneJob.limit(spam.train().examples(), 64, 1);
        List<TextExample> val = spam.validation().examples().subList(0, 24);
        try (NDManager manager = NDManager.newBaseManager();
                BertTokenizer tokenizer = PretrainedEncoders.tokenizer(PretrainedModel.ALL_MINILM_L6_V2, cache, 48);
                BertModel encoder = PretrainedEncoders.encoder(PretrainedModel.ALL_MINILM_L6_V2, cache, manager)) {
            float[] trained;
            try (SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 2, 7)) {
                PeftModel peft = Peft.wrap(classifier, AdaLoraConfig.builder().optInitR(12).optTargetR(8)
                        .optTargetModules("query", "value").optModulesToSave("classifier").build());
                TextClassifier text = new TextClassifier(tokenizer, classifier, peft);
                // one epoch of 4 steps, so the best epoch is the last and its last step the final allocation
                Trainer<TextExample> trainer = new Trainer<>(new ClassificationObjective<>(text), TrainerConfig
                        .builder().optEpochs(1).optBatchSize(16).optLearningRate(0.005f).optHeadLearningRate(0.01f)
                        .optSeed(3).build());
                double before = trainer.evaluate(val).loss();
                TrainResult result = trainer.fit(train, val, val);
                System.out.printf("AdaLoRA on MiniLM, 4 steps: validation loss %.4f -> %.4f%n", before,
                        result.test().loss());
                assertTrue(result.test().loss() < before, "validation loss " + before + " -> " + result.test().loss());

                AdaLoraConfig config = (AdaLoraConfig) peft.adapterConfig(PeftModel.DEFAULT_ADAPTER);
                assertEquals(4, config.totalStep(), "the trainer's steps");
                assertEquals(12, config.rankPattern().size(), "query and value of 6 layers");
                long kept = config.rankPattern().values().stream().flatMap(List::stream).filter(k -> k).count();
                assertEquals(8 * 12, kept, "target_r 8 per weight on average");
                trained = logits(classifier, tokenizer);
                peft.save(tmp);
            } // closing the classifier unloads the adapter: the encoder is the base again
            Map<?, ?> json = new ObjectMapper().readValue(tmp.resolve("adapter_config.json").toFile(), Map.class);
            assertEquals("ADALORA", json.get("peft_type"));
            long savedTriplets = SafeTensors.read(tmp.resolve("adapter_model.safetensors")).tensors().entrySet()
                    .stream().filter(e -> e.getKey().endsWith(".lora_E")).mapToLong(e -> e.getValue().shape()[0]).sum();
            assertEquals(8 * 12, savedTriplets, "only the kept triplets are saved");
            try (SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 2, 7)) {
                PeftModel.load(classifier, tmp, false);
                // the dropped triplets come back as zeros in A ⊙ E, where the trained model had zeros: the same
                // kernels on the same values give the same logits bit for bit
                assertArrayEquals(trained, logits(classifier, tokenizer));
            }
        }
    }

    private static float[] logits(SequenceClassifier classifier, BertTokenizer tokenizer) {
        try (NDManager batch = NDManager.newBaseManager()) {
            NDList in = tokenizer.encode(PROBE).toNDList(batch);
            return classifier.forward(in.get(0), in.get(1), in.get(2), false).toFloatArray();
        }
    }
}
