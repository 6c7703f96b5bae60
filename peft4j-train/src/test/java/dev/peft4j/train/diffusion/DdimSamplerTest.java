package dev.peft4j.train.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.models.dit.DitModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** DDIM against an oracle, its timesteps, determinism, and classifier-free guidance. */
class DdimSamplerTest {

    /**
     * The model that knows the answer: for a known x0 it returns the exact noise of x_t,
     * {@code (x_t - sqrt(a_t) x0) / sqrt(1 - a_t)}, so a correct DDIM step predicts x0 itself at every step.
     */
    private static NoisePredictor oracle(NDArray original, NoiseSchedule schedule, List<float[]> predictions) {
        return new NoisePredictor() {
            @Override
            public NDArray predictNoise(NDArray noisy, NDArray timesteps, NDArray labels) {
                int t = Math.toIntExact(timesteps.toLongArray()[0]);
                float alpha = schedule.alphaCumprod(t);
                NDArray eps = noisy.sub(original.mul((float) Math.sqrt(alpha))).div((float) Math.sqrt(1f - alpha));
                predictions.add(eps.toFloatArray());
                return eps;
            }

            @Override
            public int nullClass() {
                return 10;
            }

            @Override
            public int channels() {
                return 1;
            }

            @Override
            public int imageSize() {
                return 28;
            }
        };
    }

    private static NDArray originals(NDManager manager, int count, long seed) {
        Random random = new Random(seed);
        float[] values = new float[count * 784];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() * 1.8f - 0.9f; // inside [-1, 1], so clipping x0 changes nothing
        }
        return manager.create(values, new Shape(count, 1, 28, 28));
    }

    @Test
    void leadingTimestepsAsDiffusers() {
        DdimSampler sampler = new DdimSampler(NoiseSchedule.ddpmLinear(), 50);
        int[] t = sampler.timesteps();
        assertEquals(50, t.length);
        assertEquals(980, t[0]); // diffusers' DDIMScheduler.set_timesteps(50): [980, 960, ..., 20, 0]
        assertEquals(960, t[1]);
        assertEquals(0, t[49]);
        assertArrayEquals(new int[] {999, 998, 997}, java.util.Arrays.copyOf(
                new DdimSampler(NoiseSchedule.ddpmLinear(), 1000).timesteps(), 3));
        assertArrayEquals(new int[] {666, 333, 0}, new DdimSampler(NoiseSchedule.ddpmLinear(), 3).timesteps());
    }

    @Test
    void aThousandStepsWithTheOracleRecoverTheImage() {
        NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray original = originals(manager, 2, 1);
            for (int steps : new int[] {1000, 10}) {
                List<float[]> predictions = new ArrayList<>();
                NDArray sample = new DdimSampler(schedule, steps).sample(oracle(original, schedule, predictions),
                        new int[] {3, 4}, 1f, 7, manager);
                assertEquals(steps, predictions.size());
                // eta = 0 moves x_t along one noise direction: x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps keeps
                // eps, so the last step sees the first step's noise (a wrong a_prev would make it drift); 1e-4: eps
                // is re-derived each step dividing float-rounded x by sqrt(1 - a) >= 0.01 (measured 1.4e-5)
                float drift = 0f;
                float[] first = predictions.get(0);
                float[] last = predictions.get(steps - 1);
                for (int i = 0; i < first.length; i++) {
                    drift = Math.max(drift, Math.abs(first[i] - last[i]));
                }
                assertEquals(0f, drift, 1e-4f, steps + " steps: the noise direction");
                // the last step re-derives x0 = (x - (x - sqrt(a) x0)) / sqrt(a) at a = 0.9999: float cancellation of
                // x's rounding only (measured 1.5e-8); 1e-6 leaves room for other CPUs' float kernels
                assertEquals(0f, sample.sub(original).abs().max().getFloat(), 1e-6f, steps + " steps");
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameImagesAndAnotherSeedOthers() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = TinyDits.perturbed(3, manager)) {
            DdimSampler sampler = new DdimSampler(NoiseSchedule.ddpmLinear(), 5);
            NoisePredictor dit = NoisePredictor.of(model, null);
            int[] labels = {0, 1, 2};
            NDArray first = sampler.sample(dit, labels, 3f, 11, manager);
            NDArray again = sampler.sample(dit, labels, 3f, 11, manager);
            NDArray other = sampler.sample(dit, labels, 3f, 12, manager);
            assertArrayEquals(new long[] {3, 1, 28, 28}, first.getShape().getShape());
            assertEquals(0f, first.sub(again).abs().max().getFloat(), 0f);
            assertNotEquals(0f, first.sub(other).abs().max().getFloat());
            assertTrue(first.abs().max().getFloat() <= 1f, "clipped to the data range [-1, 1]");
        }
    }

    @Test
    void guidanceOfOneIsTheConditionalAndZeroTheUnconditionalPrediction() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = TinyDits.perturbed(4, manager)) {
            NoisePredictor dit = NoisePredictor.of(model, null);
            NDArray x = originals(manager, 3, 2);
            NDArray t = manager.create(new long[] {10, 500, 990});
            NDArray labels = manager.create(new int[] {0, 5, 9});
            NDArray conditional = dit.predictNoise(x, t, labels);
            NDArray unconditional = dit.predictNoise(x, t, manager.create(new int[] {10, 10, 10}));
            assertNotEquals(0f, conditional.sub(unconditional).abs().max().getFloat(), "the label matters");
            // one forward over 6 rows instead of 3 and u + (c - u): float32 rounding of outputs up to 0.4 (measured
            // 6e-8); 1e-6 allows other GEMM blockings and stays far below the conditional-unconditional gap
            float tolerance = 1e-6f;
            assertEquals(0f, ClassifierFreeGuidance.predict(dit, x, t, labels, 1f).sub(conditional).abs().max()
                    .getFloat(), tolerance);
            assertEquals(0f, ClassifierFreeGuidance.predict(dit, x, t, labels, 0f).sub(unconditional).abs().max()
                    .getFloat(), tolerance);
        }
    }

    @Test
    void samplingKeepsOnlyTheImagesOnTheCallersManager() {
        try (NDManager manager = NDManager.newBaseManager(); DitModel model = TinyDits.perturbed(5, manager);
                NDManager caller = manager.newSubManager()) {
            int modelBefore = ((BaseNDManager) model.manager()).getManagedArrays().size();
            new DdimSampler(NoiseSchedule.ddpmLinear(), 20).sample(NoisePredictor.of(model, null), new int[] {1, 2},
                    4f, 3, caller);
            // the initial noise and the result: every step's tensors (20 guided forwards) were freed with the step
            assertEquals(2, ((BaseNDManager) caller).getManagedArrays().size());
            assertEquals(modelBefore, ((BaseNDManager) model.manager()).getManagedArrays().size());
        }
    }

    @Test
    void rejectsTooManySteps() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DdimSampler(NoiseSchedule.ddpmLinear(), 1001));
        assertEquals("DDIM steps must be in [1, 1000] for a 1000-step schedule, found 1001; 50 is diffusers' usual "
                + "choice", e.getMessage());
    }
}
