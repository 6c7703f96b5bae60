package dev.peft4j.train.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ShardedBatchesTest {

    private static final List<List<Integer>> SHARDS = List.of(IntStream.range(0, 11).boxed().toList(),
            IntStream.range(100, 110).boxed().toList());

    @Test
    void theInterleavedPlanIsTheWorkersBatchesInStepOrder() {
        ShardedBatches<Integer> single = ShardedBatches.interleaved(SHARDS, 3, 7);
        List<ShardedBatches<Integer>> workers = List.of(ShardedBatches.worker(SHARDS.get(0), 3, 7, 0, 2, 3),
                ShardedBatches.worker(SHARDS.get(1), 3, 7, 1, 2, 3));
        assertEquals(6, single.microBatchesPerEpoch(), "floor(10 / 3) = 3 steps of 2 micro-batches");
        for (int epoch = 0; epoch < 3; epoch++) {
            for (int j = 0; j < 6; j++) {
                ShardedBatches<Integer> worker = workers.get(j % 2);
                assertEquals(single.microBatch(epoch, j), worker.microBatch(epoch, j / 2), "epoch " + epoch + " " + j);
                assertEquals(single.dropoutIndex(epoch, j), worker.dropoutIndex(epoch, j / 2));
            }
        }
    }

    @Test
    void eachEpochReshufflesAndNoExampleRepeatsWithinOne() {
        ShardedBatches<Integer> worker = ShardedBatches.worker(SHARDS.get(0), 3, 7, 0, 2, 3);
        Set<Integer> seen = new HashSet<>();
        for (int m = 0; m < 3; m++) {
            for (int x : worker.microBatch(0, m)) {
                assertTrue(seen.add(x), "repeated " + x);
            }
        }
        assertNotEquals(worker.microBatch(0, 0), worker.microBatch(1, 0));
        assertNotEquals(ShardedBatches.worker(SHARDS.get(0), 3, 7, 0, 2, 3).microBatch(0, 0),
                ShardedBatches.worker(SHARDS.get(0), 3, 7, 1, 2, 3).microBatch(0, 0), "each worker its own stream");
    }

    @Test
    void aShardWithoutOneFullBatchIsRefusedSayingWhatToChange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ShardedBatches.interleaved(List.of(List.of(1, 2), List.of(3)), 2, 1));
        assertTrue(e.getMessage().contains("at least one full micro-batch of 2") && e.getMessage().contains("fewer "
                + "workers"), e.getMessage());
    }

    @Test
    void theSingleProcessPlanKeepsItsHistoricalOrder() {
        // the default plan's order, written out: TrainerGoldenTest pins the trained values that depend on it
        BatchPlan<Integer> plan = BatchPlan.shuffled(IntStream.range(0, 10).boxed().toList(), 4, 3);
        List<Integer> expected = new java.util.ArrayList<>(IntStream.range(0, 10).boxed().toList());
        java.util.Collections.shuffle(expected, new java.util.Random(3 * 7919L + 1));
        assertEquals(expected.subList(0, 4), plan.microBatch(1, 0));
        assertEquals(expected.subList(8, 10), plan.microBatch(1, 2));
        assertEquals(3, plan.microBatchesPerEpoch());
    }
}
