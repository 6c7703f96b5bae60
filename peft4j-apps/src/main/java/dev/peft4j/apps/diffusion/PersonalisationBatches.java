package dev.peft4j.apps.diffusion;

import dev.peft4j.train.loop.BatchPlan;
import dev.peft4j.train.vision.ImageExample;
import java.util.ArrayList;
import java.util.List;

/**
 * The micro-batches of a personalisation run: one epoch of {@code steps} batches, the shots repeated in turn to fill
 * them. With prior images (DreamBooth's prior preservation), every batch is half shots and half prior images, each
 * half cycling through its own list; since the halves are equally large, the batch's mean noise MSE is exactly the
 * mean of the concept's and the prior's noise MSEs, i.e. DreamBooth's loss with {@code prior_loss_weight} 1.
 *
 * <p>A shot repeated in the same or a later batch gets fresh noise and timestep: {@code DiffusionObjective} draws
 * them from the engine's generator, which the trainer seeds per micro-batch (by its {@link #dropoutIndex}).
 */
final class PersonalisationBatches implements BatchPlan<ImageExample> {

    private final List<ImageExample> shots;
    private final List<ImageExample> prior;
    private final int steps;
    private final int batchSize;

    /**
     * @param prior images of the trained classes to mix in, or empty for none
     * @param batchSize images per batch; even when there are prior images
     */
    PersonalisationBatches(List<ImageExample> shots, List<ImageExample> prior, int steps, int batchSize) {
        if (shots.isEmpty()) {
            throw new IllegalArgumentException("Personalisation needs at least one shot");
        }
        if (steps < 1 || batchSize < 1) {
            throw new IllegalArgumentException("Expected at least 1 step and a batch of at least 1, found " + steps
                    + " steps and batch " + batchSize);
        }
        if (!prior.isEmpty() && batchSize % 2 != 0) {
            throw new IllegalArgumentException("With prior images every batch is half shots and half prior images, "
                    + "so the batch size must be even, found " + batchSize + "; use " + (batchSize + 1));
        }
        this.shots = List.copyOf(shots);
        this.prior = List.copyOf(prior);
        this.steps = steps;
        this.batchSize = batchSize;
    }

    @Override
    public int microBatchesPerEpoch() {
        return steps;
    }

    @Override
    public List<ImageExample> microBatch(int epoch, int micro) {
        int half = prior.isEmpty() ? batchSize : batchSize / 2;
        List<ImageExample> batch = new ArrayList<>(batchSize);
        for (int i = 0; i < half; i++) {
            batch.add(shots.get((int) (((long) micro * half + i) % shots.size())));
        }
        for (int i = 0; i < batchSize - half; i++) {
            batch.add(prior.get((int) (((long) micro * half + i) % prior.size())));
        }
        return batch;
    }

    @Override
    public long dropoutIndex(int epoch, int micro) {
        return micro;
    }
}
