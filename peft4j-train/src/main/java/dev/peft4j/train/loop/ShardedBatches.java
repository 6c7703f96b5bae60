package dev.peft4j.train.loop;

import java.util.ArrayList;
import java.util.List;

/**
 * Synchronous data parallelism's data order (as PyTorch's {@code DistributedSampler} with {@code drop_last}): the
 * training set is split into {@code workers} shards, each shuffled per epoch by its own seeded stream; optimiser step
 * {@code k} of an epoch takes micro-batch {@code k} of every shard, and every shard contributes the same number of
 * micro-batches per epoch ({@code floor(smallest shard / batchSize)}; the rest of a shard waits for a later epoch's
 * shuffle). {@link #worker} is what one worker trains on; {@link #interleaved} is the same global batches in one
 * process, with gradient accumulation over {@code workers} micro-batches, and numbers dropout as the workers do, so
 * the two give the same adapter.
 */
public final class ShardedBatches<E> implements BatchPlan<E> {

    private final List<List<E>> shards;
    private final int batchSize;
    private final long seed;
    private final int stepsPerEpoch;
    private final int firstShard; // -1: interleave all shards
    private final int workers;
    private final List<List<Integer>> orders = new ArrayList<>();
    private int orderEpoch = -1;

    private ShardedBatches(List<List<E>> shards, int batchSize, long seed, int stepsPerEpoch, int firstShard,
            int workers) {
        this.shards = shards;
        this.batchSize = batchSize;
        this.seed = seed;
        this.stepsPerEpoch = stepsPerEpoch;
        this.firstShard = firstShard;
        this.workers = workers;
    }

    /**
     * Worker {@code worker}'s plan over its own {@code shard}: {@code stepsPerEpoch} micro-batches per epoch (the same
     * on every worker, see {@link #stepsPerEpoch}), each one optimiser step once the workers' gradients are averaged.
     */
    public static <E> ShardedBatches<E> worker(List<E> shard, int batchSize, long seed, int worker, int workers,
            int stepsPerEpoch) {
        if (worker < 0 || worker >= workers) {
            throw new IllegalArgumentException("worker must be in [0, " + workers + "), found " + worker);
        }
        requireSteps(stepsPerEpoch, List.of(shard), batchSize);
        return new ShardedBatches<>(List.of(shard), batchSize, seed, stepsPerEpoch, worker, workers);
    }

    /** All shards in one process: micro-batch {@code j} is shard {@code j % n}'s micro-batch {@code j / n}. */
    public static <E> ShardedBatches<E> interleaved(List<List<E>> shards, int batchSize, long seed) {
        int steps = stepsPerEpoch(shards.stream().mapToInt(List::size).min().orElse(0), batchSize);
        requireSteps(steps, shards, batchSize);
        return new ShardedBatches<>(List.copyOf(shards), batchSize, seed, steps, -1, shards.size());
    }

    /** Optimiser steps per epoch when the smallest shard holds {@code smallestShard} examples. */
    public static int stepsPerEpoch(long smallestShard, int batchSize) {
        return (int) (smallestShard / batchSize);
    }

    private static void requireSteps(int steps, List<? extends List<?>> shards, int batchSize) {
        if (steps < 1) {
            throw new IllegalArgumentException("Every worker needs at least one full micro-batch of " + batchSize
                    + " examples per epoch, found shards of " + shards.stream().map(List::size).toList()
                    + " examples; use fewer workers, a smaller batch or more data");
        }
        for (List<?> shard : shards) {
            if (shard.size() < (long) steps * batchSize) {
                throw new IllegalArgumentException("A shard of " + shard.size() + " examples cannot fill " + steps
                        + " micro-batches of " + batchSize);
            }
        }
    }

    @Override
    public int microBatchesPerEpoch() {
        return firstShard >= 0 ? stepsPerEpoch : stepsPerEpoch * workers;
    }

    @Override
    public List<E> microBatch(int epoch, int micro) {
        if (epoch != orderEpoch) {
            orders.clear();
            for (int s = 0; s < shards.size(); s++) {
                int stream = firstShard >= 0 ? firstShard : s;
                orders.add(BatchPlan.permutation(shards.get(s).size(), seed, epoch, stream + 1L));
            }
            orderEpoch = epoch;
        }
        int local = firstShard >= 0 ? 0 : micro % workers;
        int slice = firstShard >= 0 ? micro : micro / workers;
        List<E> shard = shards.get(local);
        List<Integer> order = orders.get(local);
        List<E> batch = new ArrayList<>(batchSize);
        for (int i = slice * batchSize; i < (slice + 1) * batchSize; i++) {
            batch.add(shard.get(order.get(i)));
        }
        return batch;
    }

    @Override
    public long dropoutIndex(int epoch, int micro) {
        return firstShard >= 0 ? (long) micro * workers + firstShard : micro;
    }

    @Override
    public long examplesPerEpoch() {
        return (long) microBatchesPerEpoch() * batchSize;
    }
}
