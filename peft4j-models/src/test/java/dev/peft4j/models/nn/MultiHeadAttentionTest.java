package dev.peft4j.models.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.index.NDIndex;
import dev.peft4j.core.adapter.LinearSlot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The decoder-facing seams of {@link MultiHeadAttention}: causal masks, grouped-query heads, the position hook. */
class MultiHeadAttentionTest {

    private static final int HIDDEN = 16;
    private static final int HEADS = 4;
    private static final int HEAD_SIZE = 4;

    private static NDArray gaussian(NDManager manager, Random random, long... shape) {
        float[] values = new float[(int) new Shape(shape).size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * 0.3f;
        }
        return manager.create(values, new Shape(shape));
    }

    private static LinearSlot slot(NDManager manager, Random random, String name, int out, int in) {
        return new LinearSlot(name, gaussian(manager, random, out, in), gaussian(manager, random, out));
    }

    private static MultiHeadAttention attention(NDManager manager, long seed, int kvHeads, PositionEncoding encoding) {
        Random random = new Random(seed);
        int kvWidth = kvHeads * HEAD_SIZE;
        return new MultiHeadAttention(slot(manager, random, "q", HIDDEN, HIDDEN), slot(manager, random, "k", kvWidth,
                HIDDEN), slot(manager, random, "v", kvWidth, HIDDEN), slot(manager, random, "o", HIDDEN, HIDDEN),
                new HeadLayout(HEADS, kvHeads, HEAD_SIZE), encoding, 0f);
    }

    @Test
    void causalMaskHidesTheFuture() {
        try (NDManager manager = NDManager.newBaseManager()) {
            MultiHeadAttention attention = attention(manager, 1, HEADS, PositionEncoding.NONE);
            NDArray x = gaussian(manager, new Random(2), 1, 5, HIDDEN);
            NDArray changedFuture = x.duplicate();
            changedFuture.set(new NDIndex(":, 3:, :"), gaussian(manager, new Random(3), 1, 2, HIDDEN));
            NDArray causal = AttentionMasks.causal(manager, 5, 5);
            float[] before = attention.forward(x, causal, false, null).get(new NDIndex(":, :3, :")).toFloatArray();
            float[] after = attention.forward(changedFuture, causal, false, null).get(new NDIndex(":, :3, :"))
                    .toFloatArray();
            assertArrayEquals(before, after, "tokens 0..2 must not see tokens 3..4");
            float[] unmasked = attention.forward(changedFuture, null, false, null).get(new NDIndex(":, :3, :"))
                    .toFloatArray();
            assertFalse(Arrays.equals(before, unmasked), "without the mask the past does see the future");
        }
    }

    @Test
    void causalMaskWithACacheLetsNewQueriesSeeEveryEarlierKey() {
        try (NDManager manager = NDManager.newBaseManager()) {
            // 2 new queries after 3 cached keys: query 0 sees keys 0..3, query 1 sees all 5
            float[] bias = AttentionMasks.causal(manager, 2, 5).toFloatArray();
            float m = -Float.MAX_VALUE;
            assertArrayEquals(new float[] {0, 0, 0, 0, m, 0, 0, 0, 0, 0}, bias, 0f); // kept: 0 or -0, the same to an add
            assertThrows(IllegalArgumentException.class, () -> AttentionMasks.causal(manager, 3, 2));
        }
    }

    @Test
    void combinedMasksHideWhereEitherHidesWithoutOverflow() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray padding = AttentionMasks.padding(manager.create(new long[][] {{1, 1, 0}}));
            float[] both = AttentionMasks.both(AttentionMasks.causal(manager, 3, 3), padding).toFloatArray();
            float m = -Float.MAX_VALUE;
            assertArrayEquals(new float[] {0, m, m, 0, 0, m, 0, 0, m}, both, 0f);
        }
    }

    /** Two key/value heads shared by pairs of query heads equal four heads whose k/v weights repeat per pair. */
    @Test
    void groupedQueryAttentionEqualsMultiHeadWithRepeatedKeyValueHeads() {
        try (NDManager manager = NDManager.newBaseManager()) {
            MultiHeadAttention grouped = attention(manager, 4, 2, PositionEncoding.NONE);
            Random random = new Random(4);
            LinearSlot q = slot(manager, random, "q", HIDDEN, HIDDEN);
            LinearSlot k = slot(manager, random, "k", 2 * HEAD_SIZE, HIDDEN);
            LinearSlot v = slot(manager, random, "v", 2 * HEAD_SIZE, HIDDEN);
            LinearSlot o = slot(manager, random, "o", HIDDEN, HIDDEN);
            MultiHeadAttention full = new MultiHeadAttention(q, repeatHeads(manager, k), repeatHeads(manager, v), o,
                    HeadLayout.multiHead(HEADS, HEAD_SIZE), PositionEncoding.NONE, 0f);
            NDArray x = gaussian(manager, new Random(5), 2, 6, HIDDEN);
            float[] expected = full.forward(x, null, false, null).toFloatArray();
            float[] actual = grouped.forward(x, null, false, null).toFloatArray();
            assertEquals(expected.length, actual.length);
            assertArrayEquals(expected, actual, 1e-6f);
        }
    }

    /** [2 heads * d, in] -> [4 heads * d, in]: kv head h serves query heads 2h and 2h + 1. */
    private static LinearSlot repeatHeads(NDManager manager, LinearSlot slot) {
        List<NDArray> weights = new ArrayList<>();
        List<NDArray> biases = new ArrayList<>();
        for (int head = 0; head < HEADS; head++) {
            String rows = (head / 2) * HEAD_SIZE + ":" + (head / 2 + 1) * HEAD_SIZE;
            weights.add(slot.weight().get(rows + ", :"));
            biases.add(slot.bias().get(rows));
        }
        return new LinearSlot(slot.name(), ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(weights), 0),
                ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(biases), 0));
    }

    @Test
    void positionEncodingSeesQueriesAndKeysSplitIntoHeads() {
        try (NDManager manager = NDManager.newBaseManager()) {
            List<Shape> seen = new ArrayList<>();
            PositionEncoding recording = (heads, positionIds) -> {
                seen.add(heads.getShape());
                return heads;
            };
            NDArray x = gaussian(manager, new Random(6), 3, 5, HIDDEN);
            float[] hooked = attention(manager, 7, 2, recording).forward(x, null, false, null).toFloatArray();
            assertEquals(List.of(new Shape(3, HEADS, 5, HEAD_SIZE), new Shape(3, 2, 5, HEAD_SIZE)), seen);
            float[] plain = attention(manager, 7, 2, PositionEncoding.NONE).forward(x, null, false, null)
                    .toFloatArray();
            assertArrayEquals(plain, hooked, "an identity encoding changes nothing");
            // a real encoding changes q and k, hence the scores
            PositionEncoding scaleQueries = (heads, positionIds) -> heads.mul(heads.getShape().get(1) == HEADS ? 2 : 1);
            assertFalse(Arrays.equals(plain,
                    attention(manager, 7, 2, scaleQueries).forward(x, null, false, null).toFloatArray()));
        }
    }

    @Test
    void rejectsProjectionsThatDoNotMatchTheHeads() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Random random = new Random(8);
            LinearSlot square = slot(manager, random, "q", HIDDEN, HIDDEN);
            assertThrows(IllegalArgumentException.class, () -> new HeadLayout(4, 3, 4));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MultiHeadAttention(
                    square, square, square, square, new HeadLayout(HEADS, 2, HEAD_SIZE), PositionEncoding.NONE, 0f));
            assertEquals("q gives 16 features but numKeyValueHeads * headSize is 8", e.getMessage());
        }
    }
}
