package dev.peft4j.train.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The linear DDPM schedule against its closed form. */
class NoiseScheduleTest {

    /** prod_{i <= t} (1 - beta_i), beta_i = 1e-4 + i (0.02 - 1e-4) / 999, as exp(sum log1p(-beta)) in doubles. */
    private static double closedForm(int t) {
        double logSum = 0;
        for (int i = 0; i <= t; i++) {
            logSum += Math.log1p(-(1e-4 + i * (0.02 - 1e-4) / 999));
        }
        return Math.exp(logSum);
    }

    @Test
    void alphasCumprodMatchDiffusersLinearSchedule() {
        NoiseSchedule schedule = NoiseSchedule.ddpmLinear();
        assertEquals(1000, schedule.numTrainTimesteps());
        assertEquals(1e-4f, schedule.beta(0), 0f);
        assertEquals(0.02f, schedule.beta(999), 0f);
        for (int t : new int[] {0, 499, 999}) {
            // diffusers (and this class) multiply up to 1000 float32 factors, each rounded to 2^-24 relative:
            // at most 1000 * 6e-8 = 6e-5 relative error against the double closed form, hence 1e-4 relative
            double expected = closedForm(t);
            assertEquals(expected, schedule.alphaCumprod(t), 1e-4 * expected, "alphaCumprod at t = " + t);
        }
        // the closed form itself, pinned to the values a separate Python double loop gave: 0.9999, 0.078587, 4.0358e-05
        assertEquals(0.9999, closedForm(0), 1e-12);
        assertEquals(0.078587, closedForm(499), 5e-7);
        assertEquals(4.0358e-5, closedForm(999), 5e-9);
    }

    @Test
    void rejectsATimestepOutsideTheSchedule() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NoiseSchedule.ddpmLinear().alphaCumprod(1000));
        assertEquals("Timestep 1000 is outside [0, 999] of this 1000-step schedule", e.getMessage());
    }
}
