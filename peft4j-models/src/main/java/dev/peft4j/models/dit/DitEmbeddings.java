package dev.peft4j.models.dit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * DiT's two fixed sinusoidal embeddings: the 2-D sin-cos position of each patch (MAE's
 * {@code get_2d_sincos_pos_embed}) and the frequency features of a timestep (GLIDE's {@code timestep_embedding}).
 */
final class DitEmbeddings {

    private static final double MAX_PERIOD = 10_000;

    private DitEmbeddings() {
    }

    /**
     * [patches * hidden], row-major: patch {@code m = row * side + col} gets {@code [sin(col w), cos(col w),
     * sin(row w), cos(row w)]} with {@code w_d = 1 / 10000^(d / (hidden / 4))}; the column comes first, as MAE's
     * meshgrid puts w first. Computed in doubles as numpy does, then rounded to float.
     */
    static float[] positions(int side, int hidden) {
        int quarter = hidden / 4;
        float[] out = new float[side * side * hidden];
        for (int row = 0; row < side; row++) {
            for (int col = 0; col < side; col++) {
                int base = (row * side + col) * hidden;
                for (int d = 0; d < quarter; d++) {
                    double omega = 1.0 / Math.pow(MAX_PERIOD, d / (double) quarter);
                    out[base + d] = (float) Math.sin(col * omega);
                    out[base + quarter + d] = (float) Math.cos(col * omega);
                    out[base + 2 * quarter + d] = (float) Math.sin(row * omega);
                    out[base + 3 * quarter + d] = (float) Math.cos(row * omega);
                }
            }
        }
        return out;
    }

    /**
     * [batch, dim]: {@code [cos(t f), sin(t f)]} with {@code f_i = exp(-ln(10000) i / half)}, i < half = dim / 2.
     *
     * @param timesteps [batch], integer or float
     */
    static NDArray timestepFeatures(NDArray timesteps, int dim) {
        int half = dim / 2;
        float[] frequencies = new float[half];
        for (int i = 0; i < half; i++) {
            // float32 like torch.exp(-log(max_period) * arange(half, float32) / half)
            frequencies[i] = (float) Math.exp((float) (-Math.log(MAX_PERIOD) * i) / half);
        }
        NDArray t = timesteps.toType(DataType.FLOAT32, false).reshape(-1, 1);
        NDArray args = t.mul(timesteps.getManager().create(frequencies).reshape(1, half)); // [batch, half]
        return NDArrays.concat(new NDList(args.cos(), args.sin()), 1);
    }
}
