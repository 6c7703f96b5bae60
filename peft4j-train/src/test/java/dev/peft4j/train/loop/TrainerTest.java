package dev.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.ToyMlp;
import dev.peft4j.core.method.loldu.LolduConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    /** A point in R^10 whose label is whether its first two coordinates sum above zero. */
    record Point(float[] x, int label) {
    }

    static List<Point> points(int n, long seed) {
        Random rng = new Random(seed);
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] x = new float[10];
            for (int j = 0; j < 10; j++) {
                x[j] = (float) rng.nextGaussian();
            }
            points.add(new Point(x, x[0] + x[1] > 0 ? 1 : 0));
        }
        return points;
    }

    static final class ToyClassifier implements Classifier<Point>, AutoCloseable {
        final ToyMlp model;
        final PeftModel peft;

        ToyClassifier(long seed) {
            model = new ToyMlp(seed);
            peft = Peft.wrap(model, LolduConfig.builder().setRank(10).optTargetModules(TargetModules.allLinear())
                    .optModulesToSave("lin1").build());
        }

        @Override
        public NDArray logits(List<Point> batch, NDManager manager, boolean training) {
            float[] flat = new float[batch.size() * 10];
            for (int i = 0; i < batch.size(); i++) {
                System.arraycopy(batch.get(i).x(), 0, flat, i * 10, 10);
            }
            return model.forward(manager.create(flat, new Shape(batch.size(), 10)));
        }

        @Override
        public int label(Point example) {
            return example.label();
        }

        @Override
        public int numLabels() {
            return 2;
        }

        @Override
        public PeftModel peftModel() {
            return peft;
        }

        ToyClassifier closeable() {
            return this;
        }

        @Override
        public void close() {
            peft.close();
        }
    }

    private static TrainerConfig.Builder config() {
        return TrainerConfig.builder().optEpochs(3).optBatchSize(8).optGradientAccumulation(2)
                .optLearningRate(0.05f).optHeadLearningRate(0.05f).optSeed(3);
    }

    private static Map<String, float[]> values(PeftModel peft) {
        Map<String, float[]> values = new LinkedHashMap<>();
        peft.trainableParameters().forEach((k, v) -> values.put(k, v.toFloatArray()));
        return values;
    }

    @Test
    void trainingLowersTheLossAndOnlyTouchesTrainableTensors() {
        List<Point> train = points(200, 1);
        List<Point> val = points(60, 2);
        try (ToyClassifier classifier = new ToyClassifier(5).closeable()) {
            float[] frozen = classifier.model.linearLayers().get("lin0").weight().toFloatArray();
            Trainer<Point> trainer = new Trainer<>(classifier, config().build());
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
        List<Point> train = points(100, 7);
        List<Point> val = points(30, 8);
        try (ToyClassifier classifier = new ToyClassifier(9).closeable()) {
            // Adam moves each weight by about lr per step: 1e30 overflows the logits within the first epoch
            TrainResult result = new Trainer<>(classifier, config().optLearningRate(1e30f).optHeadLearningRate(1e30f)
                    .build()).fit(train, val, val);
            assertEquals(1, result.history().size(), "no epoch after the loss became NaN");
            assertTrue(Double.isNaN(result.history().get(0).trainLoss()));
            assertEquals(1, result.bestEpoch());
        }
    }

    @Test
    void resumeAfterAKillGivesTheUninterruptedResult(@TempDir Path tmp) throws Exception {
        List<Point> train = points(100, 7);
        List<Point> val = points(30, 8);
        Map<String, float[]> uninterrupted;
        try (ToyClassifier classifier = new ToyClassifier(9).closeable()) {
            new Trainer<>(classifier, config().build()).fit(train, val, val);
            uninterrupted = values(classifier.peft);
        }
        // 100 examples / batch 8 = 13 micro-batches, 7 steps per epoch: stop mid-epoch 2, at step 10
        try (ToyClassifier classifier = new ToyClassifier(9).closeable()) {
            TrainResult stopped = new Trainer<>(classifier, config().optOutputDir(tmp).optStopAfterSteps(10).build())
                    .fit(train, val, val);
            assertTrue(stopped.stopped());
        }
        assertTrue(Files.exists(tmp.resolve("checkpoint-latest")));
        try (ToyClassifier classifier = new ToyClassifier(9).closeable()) {
            new Trainer<>(classifier, config().optOutputDir(tmp).optResume(true).build()).fit(train, val, val);
            Map<String, float[]> resumed = values(classifier.peft);
            assertEquals(uninterrupted.keySet(), resumed.keySet());
            // the resumed run replays the same steps on the same fp32 state; 1e-6 absolute ~ a few ulp of O(1) weights
            // allows only reordering-level rounding (an exact match would also need bit-identical RNG/loader replay)
            uninterrupted.forEach((k, v) -> assertArrayEquals(v, resumed.get(k), 1e-6f, k));
        }
        assertTrue(Files.readAllLines(tmp.resolve("metrics.jsonl")).stream().anyMatch(l -> l.contains("\"result\"")));
    }
}
