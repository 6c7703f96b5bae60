package dev.peft4j.train.loop;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Which training examples each micro-batch of an epoch holds, and the index that seeds its dropout. The
 * {@link Trainer} walks an epoch's micro-batches in order, so a plan fixes the data order of a run: the same plan
 * gives the same batches on every machine and after a resume.
 *
 * @param <E> the example type
 */
public interface BatchPlan<E> {

    /** Micro-batches in every epoch. */
    int microBatchesPerEpoch();

    /** The examples of micro-batch {@code micro} (0-based) of the 0-based {@code epoch}. */
    List<E> microBatch(int epoch, int micro);

    /**
     * The index that seeds the micro-batch's dropout masks: two micro-batches with the same index (and shape) draw
     * the same masks, whichever process runs them. Data-parallel workers number their micro-batches as the single
     * process they stand for would.
     */
    long dropoutIndex(int epoch, int micro);

    /** Examples seen per epoch. */
    default long examplesPerEpoch() {
        long n = 0;
        for (int micro = 0; micro < microBatchesPerEpoch(); micro++) {
            n += microBatch(0, micro).size();
        }
        return n;
    }

    /**
     * One process over all of {@code train}: a fresh seeded shuffle per epoch, consecutive slices of
     * {@code batchSize} (the last one shorter), dropout indexed by the micro-batch.
     */
    static <E> BatchPlan<E> shuffled(List<E> train, int batchSize, long seed) {
        return new Shuffled<>(train, batchSize, seed);
    }

    /** The permutation of {@code size} positions a plan uses in {@code epoch}: {@code stream} tells shards apart. */
    static List<Integer> permutation(int size, long seed, int epoch, long stream) {
        List<Integer> order = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed * 7919L + epoch + stream * 104_729L));
        return order;
    }

    /** {@link #shuffled}: the single-process order the trainer has always used. */
    final class Shuffled<E> implements BatchPlan<E> {
        private final List<E> train;
        private final int batchSize;
        private final long seed;
        private int orderEpoch = -1;
        private List<Integer> order;

        Shuffled(List<E> train, int batchSize, long seed) {
            if (train.isEmpty()) {
                throw new IllegalArgumentException("Training needs a non-empty train set");
            }
            this.train = train;
            this.batchSize = batchSize;
            this.seed = seed;
        }

        @Override
        public int microBatchesPerEpoch() {
            return (train.size() + batchSize - 1) / batchSize;
        }

        @Override
        public List<E> microBatch(int epoch, int micro) {
            if (epoch != orderEpoch) {
                order = permutation(train.size(), seed, epoch, 0);
                orderEpoch = epoch;
            }
            int from = micro * batchSize;
            int to = Math.min(train.size(), from + batchSize);
            List<E> batch = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                batch.add(train.get(order.get(i)));
            }
            return batch;
        }

        @Override
        public long dropoutIndex(int epoch, int micro) {
            return micro;
        }

        @Override
        public long examplesPerEpoch() {
            return train.size();
        }
    }
}
