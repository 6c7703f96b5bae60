package dev.peft4j.core.method.adalora;

/**
 * peft's {@code RankAllocator.budget_schedule}: how many triplets all adapted weights may keep together after
 * optimiser step {@code step}, and whether that step allocates. Up to {@code tinit} the full budget, unmasked; from
 * {@code total - tfinal} on the target budget, masking every step; in between a cubic decrease
 * {@code b(t) = floor((b0 - bT) (1 - (t - tinit) / (total - tfinal - tinit))^3 + bT)}, allocating every
 * {@code deltaT} steps.
 *
 * @param initialBudget b0, the triplets of all weights at init (init_r times the number of weights)
 * @param targetBudget bT, target_r times the number of weights
 * @param tinit steps of warm-up at the full budget
 * @param tfinal steps at the end with the rank pattern fixed
 * @param deltaT steps between allocations in the decreasing phase
 * @param totalSteps the steps the schedule spans (total_step)
 */
record BudgetSchedule(int initialBudget, int targetBudget, int tinit, int tfinal, int deltaT, int totalSteps) {

    /** The budget after a step and whether the step masks the triplets beyond it. */
    record Allocation(int budget, boolean masks) {
    }

    BudgetSchedule {
        requireBudgetingPhase(tinit, tfinal, totalSteps, "total_step");
    }

    /** peft's check: {@code tinit < total - tfinal}, else there is no step in which the budget decreases. */
    static void requireBudgetingPhase(int tinit, int tfinal, int totalSteps, String what) {
        if (totalSteps < 1 || tinit >= totalSteps - tfinal) {
            throw new IllegalArgumentException("AdaLoRA's schedule needs tinit < total steps - tfinal so that the budget "
                    + "can decrease, found tinit " + tinit + ", tfinal " + tfinal + " and " + what + " " + totalSteps
                    + "; decrease tinit or tfinal, or train for more steps");
        }
    }

    /** The allocation after optimiser step {@code step} (1-based: the steps taken, this one included). */
    Allocation at(int step) {
        if (step <= tinit) {
            return new Allocation(initialBudget, false);
        }
        if (step > totalSteps - tfinal) {
            return new Allocation(targetBudget, true);
        }
        // Python's float arithmetic and int() (a floor for these positive values); StrictMath so every JVM agrees
        double remaining = 1 - (double) (step - tinit) / (totalSteps - tfinal - tinit);
        int budget = (int) ((initialBudget - targetBudget) * StrictMath.pow(remaining, 3) + targetBudget);
        return new Allocation(budget, step % deltaT == 0);
    }
}
