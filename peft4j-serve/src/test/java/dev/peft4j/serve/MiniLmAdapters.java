package dev.peft4j.serve;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.apps.text.TrainingArgs;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.core.method.lora.LoraConfig;
import dev.peft4j.core.nd.Tensors;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.bert.BertModel;
import dev.peft4j.models.bert.PretrainedEncoders;
import dev.peft4j.models.bert.PretrainedModel;
import dev.peft4j.models.bert.SequenceClassifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Many distinct adapters on all-MiniLM-L6-v2 without training them: one LoLDU (and one LoRA) wrap of the real
 * encoder, its trainable tensors moved off their init by seeded noise before each save. Each save is a complete peft
 * layout directory with the base's fingerprints, so the server's strict load accepts it as it would a trained one;
 * the seed alone decides the weights, so every adapter's outputs are reproducible and differ from the others'.
 */
final class MiniLmAdapters {

    static final List<String> LABELS = List.of("ham", "spam");
    static final PretrainedModel MODEL = PretrainedModel.ALL_MINILM_L6_V2;
    private static final long SHARED_HEAD_SEED = 42;

    /**
     * What to write: a LoLDU or a LoRA adapter from {@code seed} into {@code dir}, its head's spam logit offset by
     * {@code spamBias} (which sets how far apart its probabilities are from other adapters').
     */
    record Spec(Path dir, boolean lora, long seed, float spamBias) {
    }

    private MiniLmAdapters() {
    }

    /** Writes every adapter of {@code specs}, loading the encoder once. */
    static void write(ArtifactCache cache, List<Spec> specs) throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                BertModel encoder = PretrainedEncoders.encoder(MODEL, cache, manager)) {
            SequenceClassifier classifier = SequenceClassifier.meanPooled(encoder, LABELS.size(), 0);
            writeAll(classifier, specs.stream().filter(s -> !s.lora()).toList(), LolduConfig.builder().setRank(16)
                    .optTrainSigma(true).optTargetModules(TargetModules.allLinear())
                    .optModulesToSave(SequenceClassifier.HEAD).build());
            writeAll(classifier, specs.stream().filter(Spec::lora).toList(), LoraConfig.builder().setRank(8)
                    .optAlpha(16).optTargetModules(TargetModules.allLinear())
                    .optModulesToSave(SequenceClassifier.HEAD).build());
            classifier.close();
        }
    }

    private static void writeAll(SequenceClassifier classifier, List<Spec> specs, AdapterConfig config)
            throws IOException {
        if (specs.isEmpty()) {
            return;
        }
        PeftModel peft = Peft.wrap(classifier, config);
        Map<String, float[]> init = new LinkedHashMap<>();
        peft.trainableParameters().forEach((k, t) -> init.put(k, t.toFloatArray()));
        for (Spec spec : specs) {
            Random random = new Random(spec.seed());
            for (Map.Entry<String, NDArray> e : peft.trainableParameters().entrySet()) {
                Tensors.overwrite(e.getValue(), perturbed(e.getKey(), init.get(e.getKey()), random, spec.spamBias()));
            }
            peft.save(spec.dir());
            Files.writeString(spec.dir().resolve(TrainingArgs.FILE), new ObjectMapper().writeValueAsString(
                    new TrainingArgs(MODEL.id(), "load-test", ServeChildMain.MAX_LENGTH, "MEAN", LABELS)));
        }
        peft.unload(); // the next wrap starts from the plain encoder again
    }

    /**
     * The adapter's value of one tensor. The head: weights along one direction shared by every adapter (so the label
     * depends on the text the same way for all) plus a little of the adapter's own, and a bias putting
     * {@code spamBias} between the two logits; adapters whose biases are a tenth or more apart then never give nearly
     * equal probabilities, whatever the text. LoLDU's diagonal z scaled by 1 +- 0.03 per entry and LoRA's B (zero at
     * init) filled with N(0, 0.05^2): each moves the mean-pooled embedding by a tenth or more, but the logits through
     * the small head weights by far less than the bias spacing.
     */
    private static float[] perturbed(String key, float[] init, Random random, float spamBias) {
        float[] v = init.clone();
        Random shared = new Random(SHARED_HEAD_SEED);
        for (int i = 0; i < v.length; i++) {
            double g = random.nextGaussian();
            if (key.endsWith("classifier.weight")) {
                v[i] = (float) (0.005 * shared.nextGaussian() + 0.0005 * g);
            } else if (key.endsWith("classifier.bias")) {
                v[i] = i == 1 ? spamBias : 0f;
            } else if (key.endsWith("loldu_z")) {
                v[i] = (float) (init[i] * (1 + 0.03 * g));
            } else if (key.endsWith("lora_B.weight")) {
                v[i] = (float) (0.05 * g);
            }
        }
        return v;
    }
}
