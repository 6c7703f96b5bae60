package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;

/**
 * Rotary position embeddings (Su et al.; Hugging Face's {@code LlamaRotaryEmbedding} with {@code rope_type}
 * "default"): each head's vector is rotated by its position, pairing dimension {@code i} with {@code i + d/2}
 * ({@code rotate_half}), at the frequencies {@code theta^(-2i/d)}:
 *
 * <pre>{@code x' = x * cos(p w) + rotate_half(x) * sin(p w),  rotate_half([x1, x2]) = [-x2, x1]}</pre>
 *
 * <p>The cos/sin tables for positions {@code 0..maxPositions-1} are computed once in Java with {@link StrictMath}
 * (the same bits on every CPU) and gathered by position id, so a row of a left-padded batch or a step after a
 * key/value cache rotates by its own absolute positions.
 */
public final class RotaryEmbedding implements PositionEncoding {

    private final int headSize;
    private final int maxPositions;
    private final NDArray cos; // [maxPositions, headSize]
    private final NDArray sin;

    /**
     * @param headSize the per-head dimension (even)
     * @param theta the base of the frequencies ({@code rope_theta}, 10000 for Llama 2)
     * @param maxPositions positions the tables cover ({@code max_position_embeddings})
     * @param manager owns the tables (the model's)
     */
    public RotaryEmbedding(int headSize, double theta, int maxPositions, NDManager manager) {
        if (headSize < 2 || headSize % 2 != 0) {
            throw new IllegalArgumentException("Rotary embeddings need an even head dimension, found " + headSize);
        }
        if (!(theta > 1) || maxPositions < 1) {
            throw new IllegalArgumentException("Rotary embeddings need rope_theta > 1 and max positions >= 1, found "
                    + theta + " and " + maxPositions);
        }
        this.headSize = headSize;
        this.maxPositions = maxPositions;
        int half = headSize / 2;
        float[] cosTable = new float[maxPositions * headSize];
        float[] sinTable = new float[maxPositions * headSize];
        for (int p = 0; p < maxPositions; p++) {
            for (int i = 0; i < half; i++) {
                // HF: inv_freq = 1 / theta^(2i / d); emb = cat(freqs, freqs), so both halves share a frequency
                double angle = p / StrictMath.pow(theta, 2.0 * i / headSize);
                float c = (float) StrictMath.cos(angle);
                float s = (float) StrictMath.sin(angle);
                cosTable[p * headSize + i] = c;
                cosTable[p * headSize + i + half] = c;
                sinTable[p * headSize + i] = s;
                sinTable[p * headSize + i + half] = s;
            }
        }
        this.cos = manager.create(cosTable, new Shape(maxPositions, headSize));
        this.sin = manager.create(sinTable, new Shape(maxPositions, headSize));
    }

    public int maxPositions() {
        return maxPositions;
    }

    /**
     * @param heads [batch, n, seq, headSize]
     * @param positionIds [batch, seq] or [1, seq] int64 positions in {@code [0, maxPositions)}; null: 0..seq-1
     */
    @Override
    public NDArray apply(NDArray heads, NDArray positionIds) {
        Shape shape = heads.getShape();
        long seq = shape.get(2);
        if (shape.get(3) != headSize) {
            throw new IllegalArgumentException("Rotary embeddings built for head dimension " + headSize
                    + " got heads of shape " + shape);
        }
        NDArray ids = positionIds != null ? positionIds
                : heads.getManager().arange(0, seq, 1, DataType.INT64).reshape(1, seq);
        if (positionIds == null && seq > maxPositions) {
            throw new IllegalArgumentException(seq + " positions exceed max_position_embeddings " + maxPositions);
        }
        // [b, seq, d] -> [b, 1, seq, d]: the same rotation for every head of a row
        NDArray c = lookup(ids, cos).expandDims(1);
        NDArray s = lookup(ids, sin).expandDims(1);
        long half = headSize / 2;
        NDArray first = heads.get(new NDIndex("..., :{}", half));
        NDArray second = heads.get(new NDIndex("..., {}:", half));
        NDArray rotated = NDArrays.concat(new NDList(second.neg(), first), -1);
        return heads.mul(c).add(rotated.mul(s));
    }

    private static NDArray lookup(NDArray ids, NDArray table) {
        return Embedding.embedding(ids.toType(DataType.INT64, false), table, SparseFormat.DENSE).singletonOrThrow();
    }
}
