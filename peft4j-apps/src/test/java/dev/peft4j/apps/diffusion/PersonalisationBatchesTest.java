package dev.peft4j.apps.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.peft4j.train.vision.ImageExample;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The batches of a personalisation run: the shots repeated in turn, half and half with prior images. */
class PersonalisationBatchesTest {

    private static List<ImageExample> images(int count, int label) {
        List<ImageExample> images = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            images.add(new ImageExample(new byte[] {(byte) i}, label));
        }
        return images;
    }

    @Test
    void withoutPriorEveryBatchIsShotsInTurn() {
        List<ImageExample> shots = images(3, 9);
        PersonalisationBatches plan = new PersonalisationBatches(shots, List.of(), 4, 2);
        assertEquals(4, plan.microBatchesPerEpoch());
        assertEquals(List.of(shots.get(0), shots.get(1)), plan.microBatch(0, 0));
        assertEquals(List.of(shots.get(2), shots.get(0)), plan.microBatch(0, 1));
        assertEquals(8, plan.examplesPerEpoch()); // steps x batch
        assertEquals(3, plan.dropoutIndex(0, 3)); // each batch its own engine seed: fresh noise for a repeat
    }

    @Test
    void withPriorEachBatchIsHalfShotsHalfPrior() {
        List<ImageExample> shots = images(5, 9);
        List<ImageExample> prior = images(7, 0);
        PersonalisationBatches plan = new PersonalisationBatches(shots, prior, 10, 4);
        for (int micro = 0; micro < 10; micro++) {
            List<ImageExample> batch = plan.microBatch(0, micro);
            assertEquals(4, batch.size());
            assertEquals(2, batch.stream().filter(e -> e.label() == 9).count(), "two shots in batch " + micro);
            assertTrue(batch.subList(0, 2).stream().allMatch(e -> e.label() == 9));
        }
        assertEquals(prior.get(2), plan.microBatch(0, 1).get(2)); // the prior cycles on its own
        assertEquals(prior.get(0), plan.microBatch(0, 7).get(2)); // 7 batches x 2 = 14 prior images: round 3 starts
    }

    @Test
    void anOddBatchWithPriorIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new PersonalisationBatches(images(3, 9), images(4, 0), 5, 3));
        assertTrue(e.getMessage().contains("the batch size must be even, found 3"), e.getMessage());
    }
}
