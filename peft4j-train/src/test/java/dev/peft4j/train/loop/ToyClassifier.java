package dev.peft4j.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.norm.Dropout;
import dev.peft4j.core.adapter.AdapterConfig;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.adapter.TargetModules;
import dev.peft4j.core.adapter.ToyMlp;
import dev.peft4j.core.method.loldu.LolduConfig;
import dev.peft4j.train.objective.ClassificationObjective;
import dev.peft4j.train.objective.Classifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The trainer tests' model: peft's ToyMlp (10 -> 20 -> 2) with LoLDU r = 10 on all linear layers (or another
 * adapter) and the head {@code lin1} trained, classifying points in R^10 by whether their first two coordinates sum above zero. With
 * {@code inputDropout > 0} the inputs go through dropout when training, so the engine's per-micro-batch seeding
 * shows in the numbers.
 */
final class ToyClassifier implements Classifier<ToyClassifier.Point>, AutoCloseable {

    /** A point in R^10 and its label. */
    record Point(float[] x, int label) {
    }

    final ToyMlp model;
    final PeftModel peft;
    private final float inputDropout;

    ToyClassifier(long seed) {
        this(seed, 0f);
    }

    ToyClassifier(long seed, float inputDropout) {
        this(seed, inputDropout, LolduConfig.builder().setRank(10).optTargetModules(TargetModules.allLinear())
                .optModulesToSave("lin1").build());
    }

    ToyClassifier(long seed, float inputDropout, AdapterConfig adapter) {
        this.model = new ToyMlp(seed);
        this.peft = Peft.wrap(model, adapter);
        this.inputDropout = inputDropout;
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

    ClassificationObjective<Point> objective() {
        return new ClassificationObjective<>(this);
    }

    Map<String, float[]> values() {
        Map<String, float[]> values = new LinkedHashMap<>();
        peft.trainableParameters().forEach((k, v) -> values.put(k, v.toFloatArray()));
        return values;
    }

    @Override
    public NDArray logits(List<Point> batch, NDManager manager, boolean training) {
        float[] flat = new float[batch.size() * 10];
        for (int i = 0; i < batch.size(); i++) {
            System.arraycopy(batch.get(i).x(), 0, flat, i * 10, 10);
        }
        NDArray x = manager.create(flat, new Shape(batch.size(), 10));
        if (inputDropout > 0) {
            x = Dropout.dropout(x, inputDropout, training).singletonOrThrow();
        }
        return model.forward(x);
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

    @Override
    public void close() {
        peft.close();
    }
}
