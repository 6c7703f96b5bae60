package dev.peft4j.apps.diffusion;

import dev.peft4j.apps.vision.VitJudge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.peft4j.apps.text.MethodSpec;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.method.lora.LoraConfig;
import dev.peft4j.hub.ArtifactCache;
import dev.peft4j.models.vit.PretrainedVit;
import dev.peft4j.models.vit.VitModel;
import dev.peft4j.train.vision.FashionMnist;
import dev.peft4j.train.vision.ImageSplit;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The figures' arithmetic, and the ViT judge on real Fashion-MNIST images. */
class PersonalisationMetricsTest {

    @Test
    void meanCosineIsTheMeanOverAllPairs() {
        Random random = new Random(4);
        double[][] a = new double[7][5];
        double[][] b = new double[4][5];
        for (double[][] m : new double[][][] {a, b}) {
            for (double[] row : m) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = random.nextGaussian();
                }
            }
        }
        double sum = 0;
        for (double[] u : a) {
            for (double[] v : b) {
                double dot = 0;
                double nu = 0;
                double nv = 0;
                for (int j = 0; j < 5; j++) {
                    dot += u[j] * v[j];
                    nu += u[j] * u[j];
                    nv += v[j] * v[j];
                }
                sum += dot / Math.sqrt(nu * nv);
            }
        }
        // the same sum of 28 products in another order: double rounding only, ~1e-16 each
        assertEquals(sum / 28, PersonalisationMetrics.meanCosine(a, b), 1e-12);
        assertEquals(1.0, PersonalisationMetrics.meanCosine(new double[][] {{2, 0}}, new double[][] {{3, 0}}), 0);
    }

    @Test
    void shareCountsTheLabel() {
        assertEquals(0.75, PersonalisationMetrics.share(new int[] {9, 9, 3, 9}, 9));
        assertEquals(0.0, PersonalisationMetrics.share(new int[] {1, 2}, 9));
    }

    @Test
    void realAnkleBootsAreMoreFaithfulToAnkleBootsThanSneakersAreAndTheJudgeKnowsThem() throws Exception {
        ImageSplit fashion = FashionMnist.load(ArtifactCache.defaultCache());
        ConceptImages boots = ConceptImages.of(fashion, 9, 9, 5, 50, 300, 2);
        try (NDManager manager = NDManager.newBaseManager(); VitModel vit = PretrainedVit.load(manager)) {
            VitJudge judge = new VitJudge(vit, FashionMnist.NORMALIZATION);
            DitBase base = new DitBase(null, null, List.of(), new int[0], new int[] {9}, new int[] {9}, "");
            PersonalisationMetrics metrics = new PersonalisationMetrics(judge, base, boots,
                    new PersonalisationMetrics.Evaluation(2, 0, new ImageSampling(1, 1f), 1));
            double boot = metrics.realFidelity(boots.validation());
            double sneaker = metrics.realFidelity(fashion.test().withClasses(7).sample(50, 1).examples());
            double trouser = metrics.realFidelity(fashion.test().withClasses(1).sample(50, 1).examples());
            System.err.printf("subject fidelity to real test ankle boots: ankle boots %.4f, sneakers %.4f, "
                    + "trousers %.4f%n", boot, sneaker, trouser);
            assertTrue(boot > sneaker && sneaker > trouser, "boots " + boot + ", sneakers " + sneaker
                    + ", trousers " + trouser);
            // the shipped ViT has 0.84 test accuracy over the 10 classes; ankle boots are among its easiest
            double recognised = PersonalisationMetrics.share(judge.judge(boots.test()).predicted(), 9);
            assertTrue(recognised > 0.8, "ankle boots recognised: " + recognised);
        }
    }

    @Test
    void theSpareRowPlaceholderBecomesTheRow() {
        ConceptMethod lora = new ConceptMethod(new MethodSpec("lora", 2, null, null, List.of("to_q"), false,
                Map.of()));
        assertEquals(TargetModules.names("to_q"), ((LoraConfig) lora.toConfig(9)).targetModules());
        assertEquals("none", new ConceptMethod(null).id());
        assertThrows(IllegalStateException.class, () -> new ConceptMethod(null).toConfig(9));
        // an unknown field with the placeholder is refused as any unknown --method-arg is
        ConceptMethod bad = new ConceptMethod(new MethodSpec("lora", 2, null, null, List.of("to_q"), false,
                Map.of("token_indices", ConceptMethod.SPARE_ROW)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bad.toConfig(9));
        assertTrue(e.getMessage().contains("Unknown --method-arg [token_indices]"), e.getMessage());
    }
}
