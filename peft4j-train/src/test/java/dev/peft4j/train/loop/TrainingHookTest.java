package dev.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.peft4j.core.method.adalora.AdaLoraConfig;
import dev.peft4j.train.loop.ToyClassifier.Point;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer with a method's {@code TrainingHook}, AdaLoRA's (init_r 4, target_r 2 on lin0 of the toy MLP, so the
 * allocator ends at 2 triplets): its regulariser joins each micro-batch's loss, its allocator runs after each step on
 * the step's gradients, and its state is checkpointed so that a resumed run equals an uninterrupted one.
 */
class TrainingHookTest {

    private static final String A = "base_model.model.lin0.lora_A";
    private static final String B = "base_model.model.lin0.lora_B";
    private static final String E = "base_model.model.lin0.lora_E";
    private static final List<Point> TRAIN = ToyClassifier.points(100, 7);
    private static final List<Point> VAL = ToyClassifier.points(30, 8);

    /** As TrainerTest's: 100 examples in batches of 8, two micro-batches per step, 7 steps per epoch, 21 in all. */
    private static TrainerConfig.Builder config() {
        return TrainerConfig.builder().optEpochs(3).optBatchSize(8).optGradientAccumulation(2)
                .optLearningRate(0.05f).optHeadLearningRate(0.05f).optSeed(3);
    }

    private static ToyClassifier classifier(float orthRegWeight) {
        return new ToyClassifier(9, 0.25f, AdaLoraConfig.builder().optInitR(4).optTargetR(2)
                .optOrthRegWeight(orthRegWeight).optTargetModules("lin0").optModulesToSave("lin1").build());
    }

    private static AdaLoraConfig adapterConfig(ToyClassifier classifier) {
        return (AdaLoraConfig) classifier.peft.adapterConfig("default");
    }

    /** The gradients before the first optimiser step, by tensor name. */
    private static Map<String, float[]> firstGradients(ToyClassifier classifier) {
        Map<String, float[]> gradients = new LinkedHashMap<>();
        new Trainer<>(classifier.objective(), config().optStopAfterSteps(1).build()).setGradientHook((params, step) ->
                params.forEach((name, t) -> {
                    try (NDArray g = t.getGradient()) {
                        gradients.put(name, g.toFloatArray());
                    }
                })).fit(TRAIN, VAL, VAL);
        return gradients;
    }

    @Test
    void theRegularisersGradientAccumulatesOverTheMicroBatchesAsTheLossDoes() {
        Map<String, float[]> expected = new LinkedHashMap<>();
        Map<String, float[]> hooked;
        try (ToyClassifier classifier = classifier(0.5f); NDManager manager = NDManager.newBaseManager()) {
            // 0.5 · (||A A^T - I||_F + ||B^T B - I||_F) / 2 at the initial A and B, differentiated here on copies
            NDArray a = manager.create(classifier.values().get(A), classifier.peft.trainableParameters().get(A)
                    .getShape());
            NDArray b = manager.create(classifier.values().get(B), classifier.peft.trainableParameters().get(B)
                    .getShape());
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray ofA = a.matMul(a.transpose()).sub(manager.eye(4)).square().sum().sqrt();
                NDArray ofB = b.transpose().matMul(b).sub(manager.eye(4)).square().sum().sqrt();
                collector.backward(ofA.add(ofB).mul(manager.create(0.25f)));
            }
            expected.put(A, a.getGradient().toFloatArray());
            expected.put(B, b.getGradient().toFloatArray());
            hooked = firstGradients(classifier);
        }
        // E starts at zero, so the task loss gives A and B no gradient at the first step: theirs is the regulariser's,
        // added to each of the step's two micro-batches and divided by 2 with the loss: g/2 + g/2 = g
        for (String name : List.of(A, B)) {
            float[] want = expected.get(name);
            float[] got = hooked.get(name);
            double largest = 0;
            for (float v : want) {
                largest = Math.max(largest, Math.abs(v));
            }
            assertTrue(largest > 0, name + ": the regulariser has a gradient at init");
            for (int i = 0; i < want.length; i++) {
                // the same fp32 products, sums over r = 4 or m = 20 terms in another kernel: 1e-5 of the largest
                assertEquals(want[i], got[i], 1e-5 * largest, name + "[" + i + "]");
            }
        }
        try (ToyClassifier classifier = classifier(0f)) {
            Map<String, float[]> plain = firstGradients(classifier);
            assertArrayEquals(new float[plain.get(A).length], plain.get(A), 0f, "no regulariser: A has no gradient yet");
            assertArrayEquals(hooked.get(E), plain.get(E), 0f, "the regulariser does not reach E");
        }
    }

    @Test
    void theAllocatorRunsAfterEveryStepOnItsGradientsAndTheRunEndsAtTheTargetBudget() {
        try (ToyClassifier classifier = classifier(0.5f)) {
            List<Map<String, List<Boolean>>> patterns = new ArrayList<>();
            TrainResult result = new Trainer<>(classifier.objective(), config().build())
                    .addListener(new TrainingListener() {
                        @Override
                        public void onEpochEnd(EpochEnd event) {
                            patterns.add(adapterConfig(classifier).rankPattern());
                        }
                    }).fit(TRAIN, VAL, VAL);
            AdaLoraConfig trained = adapterConfig(classifier);
            assertEquals(21, trained.totalStep(), "the schedule spans the trainer's steps");
            List<Boolean> kept = trained.rankPattern().get("lin0.lora_E");
            // cleared gradients would score every triplet 0 and mask them all; with the step's, the scores differ
            assertEquals(2, kept.stream().filter(k -> k).count(), "target_r 2: " + kept);
            assertEquals(patterns.get(result.bestEpoch() - 1), trained.rankPattern(),
                    "the best epoch's pattern comes back with its tensors");
            float[] e = classifier.values().get(E);
            for (int i = 0; i < 4; i++) {
                assertEquals(kept.get(i), e[i] != 0f, "E[" + i + "] is zero exactly where masked");
            }
        }
    }

    @Test
    void aResumedRunEqualsTheUninterruptedOne(@TempDir Path tmp) throws Exception {
        Map<String, float[]> uninterrupted;
        AdaLoraConfig uninterruptedConfig;
        try (ToyClassifier classifier = classifier(0.5f)) {
            new Trainer<>(classifier.objective(), config().build()).fit(TRAIN, VAL, VAL);
            uninterrupted = classifier.values();
            uninterruptedConfig = adapterConfig(classifier);
        }
        // step 10 of 21, mid epoch 2: the averages and a pattern exist, the best epoch is epoch 1
        try (ToyClassifier classifier = classifier(0.5f)) {
            new Trainer<>(classifier.objective(), config().optOutputDir(tmp).optStopAfterSteps(10).build())
                    .fit(TRAIN, VAL, VAL);
        }
        assertTrue(Files.exists(tmp.resolve("checkpoint-10/hook.safetensors"))
                && Files.exists(tmp.resolve("checkpoint-10/best_hook.safetensors")), "the hook's state is saved");
        try (ToyClassifier classifier = classifier(0.5f)) {
            new Trainer<>(classifier.objective(), config().optOutputDir(tmp).optResume(true).build())
                    .fit(TRAIN, VAL, VAL);
            Map<String, float[]> resumed = classifier.values();
            // the same steps on the same fp32 state, the allocator's averages included: bit for bit
            uninterrupted.forEach((k, v) -> assertArrayEquals(v, resumed.get(k), 0f, k));
            assertEquals(uninterruptedConfig, adapterConfig(classifier), "rank_pattern and total_step");
        }
    }

    @Test
    void aRunWithoutAHookWritesTheCheckpointFilesItAlwaysWrote(@TempDir Path tmp) throws Exception {
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            new Trainer<>(classifier.objective(), config().optOutputDir(tmp).optStopAfterSteps(3).build())
                    .fit(TRAIN, VAL, VAL);
        }
        try (Stream<Path> files = Files.list(tmp.resolve("checkpoint-3"))) {
            assertEquals(List.of("best.safetensors", "optimizer.safetensors", "params.safetensors",
                    "trainer_state.json"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
