package dev.peft4j.core.method.adalora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** peft's docstring example: tinit 10, tfinal 20, total 100, so the budget decreases over steps 11 to 80. */
class BudgetScheduleTest {

    /** 4 weights at init_r 12 (48 triplets) down to target_r 8 (32), allocating every 5 steps. */
    private static final BudgetSchedule SCHEDULE = new BudgetSchedule(48, 32, 10, 20, 5, 100);

    private static void assertAllocation(int step, int budget, boolean masks) {
        BudgetSchedule.Allocation allocation = SCHEDULE.at(step);
        assertEquals(budget, allocation.budget(), "budget after step " + step);
        assertEquals(masks, allocation.masks(), "masks after step " + step);
    }

    @Test
    void theWarmUpKeepsTheFullBudgetWithoutMasking() {
        assertAllocation(1, 48, false);
        assertAllocation(10, 48, false);
    }

    @Test
    void theBudgetDecreasesCubicallyAndMasksEveryDeltaTSteps() {
        // b(t) = floor(16 (1 - (t - 10) / 70)^3 + 32), by hand:
        assertAllocation(11, 47, false); // 16 (69/70)^3 = 15.32
        assertAllocation(30, 37, true); // 16 (5/7)^3 = 5.83
        assertAllocation(45, 34, true); // 16 (1/2)^3 = 2 exactly
        assertAllocation(66, 32, false); // 16 (1/5)^3 = 0.128
        assertAllocation(80, 32, true); // (1 - 70/70) = 0: the target at total - tfinal
    }

    @Test
    void theFinalPhaseMasksToTheTargetEveryStep() {
        assertAllocation(81, 32, true);
        assertAllocation(100, 32, true);
    }

    @Test
    void aScheduleWithoutADecreasingPhaseIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new BudgetSchedule(48, 32, 10, 20, 1, 30));
        assertTrue(e.getMessage().contains("tinit < total steps - tfinal") && e.getMessage().contains("tinit 10"),
                e.getMessage());
    }
}
