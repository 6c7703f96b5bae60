package dev.peft4j.apps.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.dit.DitModel;
import dev.peft4j.train.loop.TrainerConfig;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Personalisation of a tiny DiT pretrained in the test (ankle boots held out) on real Fashion-MNIST shots, judged by
 * the shipped ViT: the job's files, counts and figures, with and without fine-tuning.
 */
class DitPersonalisationTest {

    private static final List<String> ATTENTION = List.of("to_q", "to_k", "to_v", "to_out.0");
    /** Few samples and DDIM steps: the figures' plumbing, not their quality, is under test. */
    private static final PersonalisationMetrics.Evaluation EVALUATION = new PersonalisationMetrics.Evaluation(8, 4,
            new ImageSampling(5, 4f), 1);

    @TempDir
    static Path dir;
    static Path base;

    @BeforeAll
    static void pretrain() throws Exception {
        base = TinyDit.pretrain(dir.resolve("dit"));
    }

    private static DitPersonalisation.Request request(ConceptMethod method, int steps, int priorImages, Path out) {
        TrainerConfig trainer = TrainerConfig.builder().optLearningRate(0.005f).optHeadLearningRate(0.005f)
                .optBatchSize(8).optWarmupRatio(0f).optSeed(3).build();
        return new DitPersonalisation.Request(base, 9, new DitPersonalisation.Data(5, 16, 32), method, steps,
                priorImages, trainer, EVALUATION, out);
    }

    @Test
    void loraOnTheAttentionLearnsTheConceptAndSavesAnAdapterThatLoads() throws Exception {
        Path out = dir.resolve("lora");
        ConceptMethod lora = new ConceptMethod(new MethodSpec("lora", 4, 4f, null, ATTENTION, false, Map.of()));
        DitPersonalisation.Report report = DitPersonalisation.run(request(lora, 40, 16, out),
                ArtifactCache.defaultCache());
        assertEquals(9, report.spareLabel()); // 9 trained classes relabelled 0-8, then the spare row
        // 2 blocks x 4 projections of 32 x 32, each A [4, 32] and B [32, 4]
        assertEquals(2 * 4 * (4 * 32 + 32 * 4), report.trainableParameters());
        assertEquals(PersonalisationFiles.bytes(out.resolve("adapter")), report.adapterBytes());
        assertTrue(report.adapterBytes() > 4 * report.trainableParameters(), "fp32 tensors plus config and manifest");
        // 40 steps at lr 5e-3 on 5 shots: the spare row's noise MSE on other ankle boots must fall
        assertTrue(report.result().bestValidation().loss() < report.initialValidationLoss(),
                report.initialValidationLoss() + " -> " + report.result().bestValidation().loss());
        for (double share : new double[] {report.concept().recognition(), report.prior().mean(),
            report.basePrior().mean()}) {
            assertTrue(share >= 0 && share <= 1, "a share: " + share);
        }
        assertEquals(8, report.concept().images().size());
        assertEquals(9, report.prior().perClass().length);
        for (String file : new String[] {"personalisation.json", "concept.png", "shots.png", "metrics.jsonl",
            "adapter/adapter_config.json", "adapter/adapter_model.safetensors"}) {
            assertTrue(Files.isRegularFile(out.resolve(file)), file);
        }
        BufferedImage grid = ImageIO.read(out.resolve("concept.png").toFile());
        assertEquals(8 * (28 + 2) + 2, grid.getWidth()); // the 8 samples in one row
        JsonNode json = new ObjectMapper().readTree(out.resolve("personalisation.json").toFile());
        assertEquals(report.concept().subjectFidelity(), json.get("subject_fidelity").asDouble());
        assertEquals("Ankle boot (held out: spare row, untrained)", json.get("concept_name").asText());
        assertEquals(1, json.get("prior_loss_weight").asInt());
        try (NDManager manager = NDManager.newBaseManager(); DitModel dit = DitModel.load(base, manager)) {
            PeftModel.load(dit, out.resolve("adapter"), false); // strict: fingerprints, shapes, config
        }
    }

    @Test
    void withoutFineTuningTheBaseIsJudgedAndItsPriorIsTheCachedBaseFigure() throws Exception {
        Path out = dir.resolve("none");
        DitPersonalisation.Report report = DitPersonalisation.run(request(new ConceptMethod(null), 1, 0, out),
                ArtifactCache.defaultCache());
        assertEquals(0, report.trainableParameters());
        assertEquals(0, report.adapterBytes());
        assertEquals(null, report.result());
        assertEquals(report.basePrior().mean(), report.prior().mean());
        assertFalse(Files.exists(out.resolve("adapter")));
        String sha = DitBase.read(base).modelSha256();
        try (var files = Files.list(ArtifactCache.defaultCache().root().resolve("dit-base-prior"))) {
            assertTrue(files.anyMatch(f -> {
                try {
                    return Files.readString(f).contains(sha);
                } catch (java.io.IOException e) {
                    return false;
                }
            }), "the base's prior preservation is cached under its weights' digest");
        }
        DitPersonalisation.Report again = DitPersonalisation.run(request(new ConceptMethod(null), 1, 0,
                dir.resolve("none-again")), ArtifactCache.defaultCache());
        assertEquals(report.basePrior().mean(), again.basePrior().mean());
        assertEquals(report.concept().subjectFidelity(), again.concept().subjectFidelity(), "seeded sampling");
        // real ankle boots against real ankle boots beat whatever an untrained row draws (measured: see the log)
        System.err.printf("shots fidelity %.4f, untrained row %.4f, recognition %.3f, base prior %.3f%n",
                report.shotsFidelity(), report.concept().subjectFidelity(), report.concept().recognition(),
                report.basePrior().mean());
        assertTrue(report.shotsFidelity() > report.concept().subjectFidelity(), "real shots " + report.shotsFidelity()
                + " vs samples of an untrained row " + report.concept().subjectFidelity());
    }

    @Test
    void aClassThatWasNotHeldOutIsRefusedByName() {
        DitPersonalisation.Request request = new DitPersonalisation.Request(base, 3, new DitPersonalisation.Data(5,
                16, 32), new ConceptMethod(null), 1, 0, TrainerConfig.builder().build(), EVALUATION,
                dir.resolve("dress"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DitPersonalisation.run(request, ArtifactCache.defaultCache()));
        assertTrue(e.getMessage().startsWith("Class 3 was not held out when this DiT was pretrained"), e.getMessage());
        assertTrue(e.getMessage().contains("held out [9]"), e.getMessage());
    }
}
