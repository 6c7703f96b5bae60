package dev.peft4j.train.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.nd.Tensors;
import dev.peft4j.models.dit.DitModel;
import java.util.Map;
import java.util.Random;

/** Tiny random DiTs for the tests. */
final class TinyDits {

    private TinyDits() {
    }

    /**
     * A tiny DiT whose zero-initialised tensors (modulations, output layer, biases) are filled with N(0, 0.02), so
     * that its prediction depends on the input, the timestep and the label, as a trained model's does.
     */
    static DitModel perturbed(long seed, NDManager manager) {
        DitModel model = DitModel.randomTiny(seed, manager);
        Random random = new Random(seed + 1);
        for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
            if (e.getValue().abs().max().getFloat() == 0f) {
                float[] values = new float[Math.toIntExact(e.getValue().getShape().size())];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) random.nextGaussian() * 0.02f;
                }
                Tensors.overwrite(e.getValue(), values);
            }
        }
        return model;
    }
}
