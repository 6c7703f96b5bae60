package dev.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.peft4j.train.loop.ToyClassifier.Point;
import dev.peft4j.train.metrics.Direction;
import dev.peft4j.train.metrics.Evaluators;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    private static TrainerConfig.Builder config() {
        return TrainerConfig.builder().optEpochs(3).optBatchSize(8).optGradientAccumulation(2)
                .optLearningRate(0.05f).optHeadLearningRate(0.05f).optSeed(3);
    }

    @Test
    void trainingLowersTheLossAndOnlyTouchesTrainableTensors() {
        List<Point> train = ToyClassifier.points(200, 1);
        List<Point> val = ToyClassifier.points(60, 2);
        try (ToyClassifier classifier = new ToyClassifier(5)) {
            float[] frozen = classifier.model.linearLayers().get("lin0").weight().toFloatArray();
            Trainer<Point> trainer = new Trainer<>(classifier.objective(), config().build());
            double before = trainer.evaluate(val).loss();
            TrainResult result = trainer.fit(train, val, val);
            assertTrue(result.test().loss() < before * 0.8, "loss " + before + " -> " + result.test().loss());
            assertTrue(result.test().accuracy() > 0.75, "accuracy " + result.test().accuracy());
            assertArrayEquals(frozen, classifier.model.linearLayers().get("lin0").weight().toFloatArray(), 0f);
            assertEquals(10, result.adapterParameters());
            assertEquals(42, result.headParameters());
        }
    }

    @Test
    void aDivergedRunStopsAndKeepsItsBestEpoch() {
        List<Point> train = ToyClassifier.points(100, 7);
        List<Point> val = ToyClassifier.points(30, 8);
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            // Adam moves each weight by about lr per step: 1e30 overflows the logits within the first epoch
            TrainResult result = new Trainer<>(classifier.objective(), config().optLearningRate(1e30f)
                    .optHeadLearningRate(1e30f).build()).fit(train, val, val);
            assertEquals(1, result.history().size(), "no epoch after the loss became NaN");
            assertTrue(Double.isNaN(result.history().get(0).trainLoss()));
            assertEquals(1, result.bestEpoch());
        }
    }

    @Test
    void resumeAfterAKillGivesTheUninterruptedResult(@TempDir Path tmp) throws Exception {
        List<Point> train = ToyClassifier.points(100, 7);
        List<Point> val = ToyClassifier.points(30, 8);
        Map<String, float[]> uninterrupted;
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            new Trainer<>(classifier.objective(), config().build()).fit(train, val, val);
            uninterrupted = classifier.values();
        }
        // 100 examples / batch 8 = 13 micro-batches, 7 steps per epoch: stop mid-epoch 2, at step 10
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            TrainResult stopped = new Trainer<>(classifier.objective(), config().optOutputDir(tmp)
                    .optStopAfterSteps(10).build()).fit(train, val, val);
            assertTrue(stopped.stopped());
        }
        assertTrue(Files.exists(tmp.resolve("checkpoint-latest")));
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            new Trainer<>(classifier.objective(), config().optOutputDir(tmp).optResume(true).build())
                    .fit(train, val, val);
            Map<String, float[]> resumed = classifier.values();
            assertEquals(uninterrupted.keySet(), resumed.keySet());
            // the resumed run replays the same steps (order, dropout seeds, optimiser moments) on the same fp32
            // state, so it must match bit for bit
            uninterrupted.forEach((k, v) -> assertArrayEquals(v, resumed.get(k), 0f, k));
        }
        assertTrue(Files.readAllLines(tmp.resolve("metrics.jsonl")).stream().anyMatch(l -> l.contains("\"result\"")));
    }

    @Test
    void resumeInTheFirstEpochWithALowerIsBetterMetricIsBitIdenticalWithDropout(@TempDir Path tmp) {
        List<Point> train = ToyClassifier.points(100, 7);
        List<Point> val = ToyClassifier.points(30, 8);
        TrainerConfig.Builder byLoss = config().optSelectionMetric("loss");
        TrainResult uninterrupted;
        Map<String, float[]> expected;
        try (ToyClassifier classifier = new ToyClassifier(9, 0.25f)) {
            uninterrupted = new Trainer<>(classifier.objective(), byLoss.build()).fit(train, val, val);
            expected = classifier.values();
        }
        // step 3 of 7: no epoch has been scored yet, so the checkpoint holds the +Infinity "no best yet" score
        try (ToyClassifier classifier = new ToyClassifier(9, 0.25f)) {
            new Trainer<>(classifier.objective(), byLoss.optOutputDir(tmp).optStopAfterSteps(3).build())
                    .fit(train, val, val);
        }
        try (ToyClassifier classifier = new ToyClassifier(9, 0.25f)) {
            TrainResult resumed = new Trainer<>(classifier.objective(), byLoss.optStopAfterSteps(0).optResume(true)
                    .build()).fit(train, val, val);
            Map<String, float[]> actual = classifier.values();
            expected.forEach((k, v) -> assertArrayEquals(v, actual.get(k), 0f, k));
            assertEquals(uninterrupted.bestEpoch(), resumed.bestEpoch());
            assertEquals(uninterrupted.test(), resumed.test());
            assertEquals(uninterrupted.history(), resumed.history());
        }
    }

    @Test
    void aSecondRunIntoAFinishedFolderIsRefusedAndLeavesItAsItWas(@TempDir Path tmp) throws Exception {
        List<Point> train = ToyClassifier.points(40, 7);
        List<Point> val = ToyClassifier.points(10, 8);
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            new Trainer<>(classifier.objective(), config().optOutputDir(tmp).build()).fit(train, val, val);
        }
        List<String> metrics = Files.readAllLines(tmp.resolve("metrics.jsonl"));
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            Trainer<Point> again = new Trainer<>(classifier.objective(), config().optOutputDir(tmp).build());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> again.fit(train, val, val));
            assertTrue(e.getMessage().contains("already holds a finished run"), e.getMessage());
        }
        assertEquals(metrics, Files.readAllLines(tmp.resolve("metrics.jsonl")), "nothing appended");
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            new Trainer<>(classifier.objective(), config().optOutputDir(tmp).optOverwrite(true).build())
                    .fit(train, val, val);
        }
        assertEquals(metrics.size(), Files.readAllLines(tmp.resolve("metrics.jsonl")).size(),
                "overwrite starts a new metrics.jsonl instead of appending");
    }

    @Test
    void resumeWithoutACheckpointIsAnErrorNotAFreshStart(@TempDir Path tmp) {
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            Trainer<Point> trainer = new Trainer<>(classifier.objective(), config().optOutputDir(tmp).optResume(true)
                    .build());
            List<Point> points = ToyClassifier.points(10, 7);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> trainer.fit(points, points, points));
            assertTrue(e.getMessage().contains("found no checkpoint in " + tmp), e.getMessage());
            assertFalse(Files.exists(tmp.resolve("metrics.jsonl")), "nothing ran");
        }
    }

    @Test
    void resumingWithAnotherSelectionMetricIsAClearError(@TempDir Path tmp) {
        List<Point> train = ToyClassifier.points(40, 7);
        List<Point> val = ToyClassifier.points(10, 8);
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            new Trainer<>(classifier.objective(), config().optOutputDir(tmp).optStopAfterSteps(2).build())
                    .fit(train, val, val);
        }
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            Trainer<Point> trainer = new Trainer<>(classifier.objective(), config().optOutputDir(tmp).optResume(true)
                    .optSelectionMetric("loss").build());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.fit(train, val, val));
            assertTrue(e.getMessage().contains("picked its best epoch by accuracy, this run asks for 'loss'"),
                    e.getMessage());
        }
    }

    @Test
    void anUnknownSelectionMetricIsRejectedBeforeTrainingListingTheAvailableOnes(@TempDir Path tmp) {
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            Map<String, float[]> before = classifier.values();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Trainer<>(
                    classifier.objective(), config().optSelectionMetric("perplexity").optOutputDir(tmp).build()));
            assertTrue(e.getMessage().contains("Unknown metric 'perplexity'") && e.getMessage().contains(
                    "accuracy (higher is better), f1 (higher is better), mcc (higher is better), loss (lower is better)"),
                    e.getMessage());
            assertFalse(Files.exists(tmp.resolve("metrics.jsonl")), "nothing ran");
            before.forEach((k, v) -> assertArrayEquals(v, classifier.values().get(k), 0f, k));
        }
    }

    @Test
    void theBestEpochFollowsTheMetricsDirection() {
        List<Point> train = ToyClassifier.points(100, 7);
        List<Point> val = ToyClassifier.points(30, 8);
        for (String metric : List.of("loss", "accuracy")) {
            try (ToyClassifier classifier = new ToyClassifier(9)) {
                Trainer<Point> trainer = new Trainer<>(classifier.objective(), config().optSelectionMetric(metric)
                        .build());
                Direction direction = trainer.metrics().stream().filter(m -> m.name().equals(metric)).findFirst()
                        .orElseThrow().direction();
                TrainResult result = trainer.fit(train, val, val);
                int best = 1;
                for (TrainResult.EpochRecord e : result.history()) {
                    if (direction.isBetter(e.validation().get(metric), result.history().get(best - 1).validation()
                            .get(metric))) {
                        best = e.epoch();
                    }
                }
                assertEquals(best, result.bestEpoch(), metric + " over " + result.history());
                assertEquals(result.history().get(best - 1).validation(), result.bestValidation());
                assertEquals(metric, result.selectionMetric());
            }
        }
        // the loss falls over these three epochs, so picking it the wrong way round would choose epoch 1
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            TrainResult result = new Trainer<>(classifier.objective(), config().optSelectionMetric("loss").build())
                    .fit(train, val, val);
            assertEquals(3, result.bestEpoch(), "lowest validation loss: " + result.history());
        }
    }

    @Test
    void onlyTheEvaluatorsGivenAreReported() {
        List<Point> val = ToyClassifier.points(30, 8);
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            Trainer<Point> trainer = new Trainer<>(classifier.objective(), List.of(Evaluators.loss(),
                    Evaluators.mcc()), config().optSelectionMetric("mcc").build());
            assertEquals(List.of("count", "loss", "mcc"), new ArrayList<>(trainer.evaluate(val).toMap().keySet()));
        }
    }

    @Test
    void listenersHearTheRunInOrder() {
        List<Point> train = ToyClassifier.points(100, 7);
        List<Point> val = ToyClassifier.points(30, 8);
        List<String> events = new ArrayList<>();
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            TrainResult result = new Trainer<>(classifier.objective(), config().optEpochs(2).build())
                    .addListener(new TrainingListener() {
                        @Override
                        public void onTrainBegin(TrainBegin event) {
                            events.add("begin " + event.totalSteps() + " " + event.stepsPerEpoch());
                        }

                        @Override
                        public void onStep(StepEnd event) {
                            events.add("step " + event.globalStep() + " epoch " + event.epoch());
                        }

                        @Override
                        public void onEpochEnd(EpochEnd event) {
                            events.add("epoch " + event.epoch() + " " + event.selectionMetric() + " "
                                    + event.validation().has("accuracy"));
                        }

                        @Override
                        public void onTrainEnd(TrainResult r) {
                            events.add("end " + r.bestEpoch());
                        }
                    }).fit(train, val, val);
            List<String> expected = new ArrayList<>(List.of("begin 14 7"));
            for (int s = 1; s <= 14; s++) {
                expected.add("step " + s + " epoch " + (s <= 7 ? 1 : 2));
                if (s % 7 == 0) {
                    expected.add("epoch " + s / 7 + " accuracy true");
                }
            }
            expected.add("end " + result.bestEpoch());
            assertEquals(expected, events);
        }
    }

    @Test
    void theGradientHookRunsOncePerStepOnTheGradientsTheOptimiserUses() {
        List<Point> train = ToyClassifier.points(100, 7);
        List<Point> val = ToyClassifier.points(30, 8);
        // zeroed gradients (and no weight decay) leave AdamW's moments at 0: the parameters cannot move
        try (ToyClassifier classifier = new ToyClassifier(9)) {
            Map<String, float[]> before = classifier.values();
            List<Integer> steps = new ArrayList<>();
            new Trainer<>(classifier.objective(), config().build()).setGradientHook((trainable, step) -> {
                steps.add(step);
                assertTrue(trainable.values().stream().anyMatch(t -> {
                    try (NDArray g = t.getGradient()) {
                        return g.abs().sum().getFloat() > 0;
                    }
                }), "backward has run before the hook");
                trainable.values().forEach(t -> {
                    try (NDArray g = t.getGradient()) {
                        g.muli(0);
                    }
                });
            }).fit(train, val, val);
            assertEquals(java.util.stream.IntStream.range(0, 21).boxed().toList(), steps);
            before.forEach((k, v) -> assertArrayEquals(v, classifier.values().get(k), 0f, k));
        }
        // averaging with an identical second worker, (g + g) / 2, is exact in floating point: the same run
        Map<String, float[]> plain;
        try (ToyClassifier classifier = new ToyClassifier(9, 0.25f)) {
            new Trainer<>(classifier.objective(), config().build()).fit(train, val, val);
            plain = classifier.values();
        }
        try (ToyClassifier classifier = new ToyClassifier(9, 0.25f)) {
            new Trainer<>(classifier.objective(), config().build()).setGradientHook((trainable, step) ->
                    trainable.values().forEach(t -> {
                        try (NDArray g = t.getGradient(); NDArray other = g.duplicate()) {
                            g.addi(other).divi(2f);
                        }
                    })).fit(train, val, val);
            Map<String, float[]> averaged = classifier.values();
            plain.forEach((k, v) -> assertArrayEquals(v, averaged.get(k), 0f, k));
        }
    }

    @Test
    void validationPassesBetweenEpochsMakeTheCurveAndSurviveAResume(@TempDir Path tmp) throws Exception {
        List<Point> train = ToyClassifier.points(100, 7);
        List<Point> val = ToyClassifier.points(30, 8);
        // 7 steps per epoch, 21 in all: passes after steps 3, 6, 9, 12, 15, 18 and at the epoch ends 7, 14, 21
        TrainerConfig.Builder every3 = config().optEvalEvery(3);
        TrainResult uninterrupted;
        try (ToyClassifier classifier = new ToyClassifier(9, 0.25f)) {
            uninterrupted = new Trainer<>(classifier.objective(), every3.build()).fit(train, val, val);
        }
        assertEquals(List.of(3, 6, 7, 9, 12, 14, 15, 18, 21),
                uninterrupted.curve().stream().map(TrainResult.CurvePoint::step).toList());
        assertEquals(List.of(1, 1, 1, 2, 2, 2, 3, 3, 3),
                uninterrupted.curve().stream().map(TrainResult.CurvePoint::epoch).toList());
        for (TrainResult.EpochRecord epoch : uninterrupted.history()) {
            assertEquals(epoch.validation(), uninterrupted.curve().get(3 * epoch.epoch() - 1).validation(),
                    "an epoch end is a point of the curve");
        }
        assertEquals(3, uninterrupted.history().size(), "passes between epochs are not epochs");
        // the passes only read the model, with dropout off: the trained values are those of a run without them
        try (ToyClassifier classifier = new ToyClassifier(9, 0.25f)) {
            TrainResult plain = new Trainer<>(classifier.objective(), config().build()).fit(train, val, val);
            assertEquals(List.of(7, 14, 21), plain.curve().stream().map(TrainResult.CurvePoint::step).toList());
            assertEquals(plain.test(), uninterrupted.test());
        }
        try (ToyClassifier classifier = new ToyClassifier(9, 0.25f)) {
            new Trainer<>(classifier.objective(), every3.optOutputDir(tmp).optStopAfterSteps(10).build())
                    .fit(train, val, val);
        }
        try (ToyClassifier classifier = new ToyClassifier(9, 0.25f)) {
            TrainResult resumed = new Trainer<>(classifier.objective(), every3.optStopAfterSteps(0).optResume(true)
                    .build()).fit(train, val, val);
            assertEquals(uninterrupted.curve(), resumed.curve(), "the passes before the kill come back with it");
        }
        assertEquals(6, Files.readAllLines(tmp.resolve("metrics.jsonl")).stream()
                .filter(l -> l.contains("\"step_eval\"")).count());
    }
}
