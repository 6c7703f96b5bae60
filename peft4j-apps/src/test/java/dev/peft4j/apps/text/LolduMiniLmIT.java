package dev.peft4j.apps.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.io.SafeTensors;
import dev.peft4j.core.io.TensorData;
import dev.peft4j.core.method.loldu.LolduConfig;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoLDU on the real all-MiniLM-L6-v2 weights and real SpamAssassin e-mails. */
class LolduMiniLmIT {

    static NDManager manager;
    static BertModel encoder;
    static BertTokenizer tokenizer;
    static List<String> sentences = List.of("LoLDU trains only a diagonal.",
            "Free money!!! Click here to claim your prize now", "The meeting moved to Thursday at ten.");

    @BeforeAll
    static void load() throws Exception {
        ArtifactCache cache = ArtifactCache.defaultCache();
        manager = NDManager.newBaseManager();
        encoder = PretrainedEncoders.encoder(PretrainedModel.ALL_MINILM_L6_V2, cache, manager);
        tokenizer = PretrainedEncoders.tokenizer(PretrainedModel.ALL_MINILM_L6_V2, cache, 64);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        encoder.close();
        manager.close();
    }

    private static float[] hidden() {
        try (NDManager batch = manager.newSubManager()) {
            NDList in = tokenizer.encode(sentences).toNDList(batch);
            return encoder.forward(in.get(0), in.get(1), in.get(2), false).toFloatArray();
        }
    }

    private static double maxRelativeDiff(float[] expected, float[] actual) {
        double maxAbs = 0;
        double maxDiff = 0;
        for (int i = 0; i < expected.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            maxDiff = Math.max(maxDiff, Math.abs(expected[i] - actual[i]));
        }
        return maxDiff / maxAbs;
    }

    private static float[] slotOutput(LinearSlot slot) {
        try (NDManager batch = manager.newSubManager()) {
            java.util.Random rng = new java.util.Random(5);
            float[] x = new float[8 * (int) slot.inFeatures()];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) rng.nextGaussian();
            }
            return slot.forward(batch.create(x, new Shape(8, slot.inFeatures()))).toFloatArray();
        }
    }

    @Test
    void identityAtInitAndExactUnloadOnRealWeights() {
        float[] base = hidden();
        LinearSlot query = encoder.linearLayers().get("encoder.layer.0.attention.self.query");
        LinearSlot ffn = encoder.linearLayers().get("encoder.layer.0.intermediate.dense");
        float[] queryBase = slotOutput(query);
        float[] ffnBase = slotOutput(ffn);
        SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 2, 1);
        PeftModel peft = Peft.wrap(classifier, LolduConfig.builder().setRank(64)
                .optTargetModules(TargetModules.allLinear()).build());
        try {
            assertEquals(36 * 64, PeftModel.class.cast(peft).adapterParameters().values().stream()
                .mapToLong(t -> t.getShape().size()).sum(), "6 layers x 6 linear x r");
            // delta form: sigma z - sigma0 c is exactly 0 at init, so every output is the base's, bit for bit
            assertArrayEquals(queryBase, slotOutput(query), "identity at init, query 384x384");
            assertArrayEquals(ffnBase, slotOutput(ffn), "identity at init, intermediate 1536x384");
            float[] adapted = hidden();
            System.out.printf("identity at init through all 6 layers, max relative diff of last_hidden_state: %.2e%n",
                    maxRelativeDiff(base, adapted));
            assertArrayEquals(base, adapted, "identity at init through all 6 layers must be exact");
            peft.unload();
            assertArrayEquals(base, hidden(), "unload restores the original weights exactly");
        } finally {
            classifier.close();
        }
    }

    @Test
    void trainingLowersTheLossAndTheLoraExportReproducesTheModel(@TempDir Path tmp) throws Exception {
        Split spam = Datasets.byName("spam", ArtifactCache.defaultCache(), 42);
        List<TextExample> train = FineTuneJob.limit(spam.train().examples(), 160, 1);
        List<TextExample> val = spam.validation().examples().subList(0, 96);
        SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, 2, 7);
        PeftModel peft = Peft.wrap(classifier, LolduConfig.builder().setRank(64)
                .optTargetModules(TargetModules.allLinear()).optModulesToSave("classifier").build());
        try {
            trainAndExport(classifier, peft, train, val, tmp);
        } finally {
            classifier.close();
        }
    }

    private static void trainAndExport(SequenceClassifier classifier, PeftModel peft, List<TextExample> train,
            List<TextExample> val, Path tmp) throws Exception {
        TextClassifier text = new TextClassifier(tokenizer, classifier, peft);
        TrainerConfig config = TrainerConfig.builder().optEpochs(2).optBatchSize(16).optLearningRate(0.003f)
                .optHeadLearningRate(0.002f).optSeed(3).build();
        Trainer<TextExample> trainer = new Trainer<>(new ClassificationObjective<>(text), config);
        double before = trainer.evaluate(val).loss();
        TrainResult result = trainer.fit(train, val, val);
        assertTrue(result.test().loss() < 0.8 * before, "validation loss " + before + " -> " + result.test().loss());
        assertTrue(result.test().accuracy() > 0.8, "accuracy " + result.test().accuracy());

        float[] adapted = logits(classifier);
        java.util.Map<String, float[]> effective = new java.util.HashMap<>();
        for (LinearSlot slot : classifier.linearLayers().values()) {
            if (!slot.adapterNames().isEmpty()) {
                effective.put(slot.name(), slot.effectiveWeight().toFloatArray());
            }
        }
        peft.exportLora(tmp);
        peft.unload();
        double weightDiff = 0;
        SafeTensors.Loaded lora = SafeTensors.read(tmp.resolve("adapter_model.safetensors"));
        try (NDManager m = manager.newSubManager()) {
            for (LinearSlot slot : classifier.linearLayers().values()) {
                String key = "base_model.model." + slot.name();
                TensorData a = lora.tensors().get(key + ".lora_A.weight");
                TensorData b = lora.tensors().get(key + ".lora_B.weight");
                NDArray weight = slot.weight();
                if (a != null) {
                    NDArray merged = weight.add(m.create(b.asFloats(), new Shape(b.shape()))
                            .matMul(m.create(a.asFloats(), new Shape(a.shape()))));
                    weightDiff = Math.max(weightDiff, maxRelativeDiff(effective.get(slot.name()), merged.toFloatArray()));
                    merged.attach(weight.getManager());
                    slot.replaceWeight(merged);
                } else if (lora.tensors().containsKey(key + ".weight")) {
                    slot.weight().set(lora.tensors().get(key + ".weight").asFloats());
                    slot.bias().set(lora.tensors().get(key + ".bias").asFloats());
                }
            }
        }
        double diff = maxRelativeDiff(adapted, logits(classifier));
        System.out.printf("LoRA export: max relative diff of W + B A vs merged LoLDU weight %.2e, of logits %.2e%n",
                weightDiff, diff);
        // Both sides compute W + (Lp diag(s)) U'_r in fp32 with a sum over r = 64 terms: at most ~64 ulp apart
        // (64 * 2^-24 = 3.8e-6 relative) whatever the GEMM kernel's summation order on this CPU.
        assertTrue(weightDiff < 1e-5, "W + B A equals the merged weight: max relative diff " + weightDiff);
        // The adapted logits come from the factored path, the exported ones from dense merged weights: two fp32
        // computations of the same function through 6 layers of 384-2048-term sums (~1e-6 relative each, compounded).
        assertTrue(diff < 1e-4, "W + B A reproduces the adapted logits: max relative diff " + diff);
    }

    private static float[] logits(SequenceClassifier classifier) {
        try (NDManager batch = manager.newSubManager()) {
            NDList in = tokenizer.encode(sentences).toNDList(batch);
            return classifier.forward(in.get(0), in.get(1), in.get(2), false).toFloatArray();
        }
    }
}
