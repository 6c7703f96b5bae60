package dev.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import java.util.HashMap;
import java.util.Map;

/**
 * Llama's forward written as plain float64 loops straight from the definitions (Hugging Face's
 * {@code modeling_llama.py}), token by token: the oracle the engine-based {@link LlamaModel} is checked against.
 * Shares no code with it, only the parameter names.
 */
final class LlamaReference {

    private final LlamaConfig c;
    private final Map<String, double[]> p = new HashMap<>();

    LlamaReference(LlamaConfig config, Map<String, NDArray> parameters) {
        this.c = config;
        parameters.forEach((name, tensor) -> {
            float[] values = tensor.toFloatArray();
            double[] wide = new double[values.length];
            for (int i = 0; i < values.length; i++) {
                wide[i] = values[i];
            }
            p.put(name, wide);
        });
    }

    /**
     * Logits [seq][vocab] of one row.
     *
     * @param ids the row's tokens
     * @param real 1 where the token is real, 0 at padding (its key is hidden; its position count skips it)
     */
    double[][] logits(int[] ids, int[] real) {
        int seq = ids.length;
        int hidden = c.hiddenSize();
        int d = c.headDim();
        int heads = c.numAttentionHeads();
        int kvHeads = c.numKeyValueHeads();
        int[] positions = new int[seq];
        int count = 0;
        for (int t = 0; t < seq; t++) {
            count += real[t];
            positions[t] = Math.max(0, count - 1);
        }
        double[][] h = new double[seq][];
        double[] embed = p.get("model.embed_tokens.weight");
        for (int t = 0; t < seq; t++) {
            h[t] = new double[hidden];
            System.arraycopy(embed, ids[t] * hidden, h[t], 0, hidden);
        }
        for (int layer = 0; layer < c.numHiddenLayers(); layer++) {
            String pre = "model.layers." + layer + ".";
            double[][] q = new double[seq][];
            double[][] k = new double[seq][];
            double[][] v = new double[seq][];
            for (int t = 0; t < seq; t++) {
                double[] x = rmsNorm(h[t], p.get(pre + "input_layernorm.weight"));
                q[t] = rope(linear(pre + "self_attn.q_proj", x), heads, d, positions[t]);
                k[t] = rope(linear(pre + "self_attn.k_proj", x), kvHeads, d, positions[t]);
                v[t] = linear(pre + "self_attn.v_proj", x);
            }
            for (int t = 0; t < seq; t++) {
                double[] attended = new double[heads * d];
                for (int head = 0; head < heads; head++) {
                    int kvHead = head / (heads / kvHeads);
                    double[] scores = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    boolean any = false;
                    for (int j = 0; j <= t; j++) {
                        if (real[j] == 0) {
                            scores[j] = Double.NEGATIVE_INFINITY;
                            continue;
                        }
                        double dot = 0;
                        for (int i = 0; i < d; i++) {
                            dot += q[t][head * d + i] * k[j][kvHead * d + i];
                        }
                        scores[j] = dot / Math.sqrt(d);
                        max = Math.max(max, scores[j]);
                        any = true;
                    }
                    if (!any) {
                        continue; // a padding query that sees nothing: its output is never compared
                    }
                    double sum = 0;
                    for (int j = 0; j <= t; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        sum += scores[j];
                    }
                    for (int j = 0; j <= t; j++) {
                        for (int i = 0; i < d; i++) {
                            attended[head * d + i] += scores[j] / sum * v[j][kvHead * d + i];
                        }
                    }
                }
                double[] o = linear(pre + "self_attn.o_proj", attended);
                for (int i = 0; i < hidden; i++) {
                    h[t][i] += o[i];
                }
            }
            for (int t = 0; t < seq; t++) {
                double[] x = rmsNorm(h[t], p.get(pre + "post_attention_layernorm.weight"));
                double[] gate = linear(pre + "mlp.gate_proj", x);
                double[] up = linear(pre + "mlp.up_proj", x);
                for (int i = 0; i < gate.length; i++) {
                    gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                double[] down = linear(pre + "mlp.down_proj", gate);
                for (int i = 0; i < hidden; i++) {
                    h[t][i] += down[i];
                }
            }
        }
        String head = c.tieWordEmbeddings() ? "model.embed_tokens" : "lm_head";
        double[][] logits = new double[seq][];
        for (int t = 0; t < seq; t++) {
            logits[t] = matVec(p.get(head + ".weight"), rmsNorm(h[t], p.get("model.norm.weight")), c.vocabSize());
        }
        return logits;
    }

    private double[] linear(String module, double[] x) {
        double[] w = p.get(module + ".weight");
        double[] y = matVec(w, x, w.length / x.length);
        double[] b = p.get(module + ".bias");
        if (b != null) {
            for (int i = 0; i < y.length; i++) {
                y[i] += b[i];
            }
        }
        return y;
    }

    private static double[] matVec(double[] w, double[] x, int rows) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += w[r * x.length + i] * x[i];
            }
            y[r] = s;
        }
        return y;
    }

    private double[] rmsNorm(double[] x, double[] gamma) {
        double mean = 0;
        for (double value : x) {
            mean += value * value;
        }
        double scale = 1 / Math.sqrt(mean / x.length + c.rmsNormEps());
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * scale * gamma[i];
        }
        return y;
    }

    /** Rotates each head's pairs (i, i + d/2) by position * theta^(-2i/d). */
    private double[] rope(double[] x, int n, int d, int position) {
        double[] y = x.clone();
        for (int head = 0; head < n; head++) {
            for (int i = 0; i < d / 2; i++) {
                double angle = position * Math.pow(c.ropeTheta(), -2.0 * i / d);
                double a = x[head * d + i];
                double b = x[head * d + i + d / 2];
                y[head * d + i] = a * Math.cos(angle) - b * Math.sin(angle);
                y[head * d + i + d / 2] = b * Math.cos(angle) + a * Math.sin(angle);
            }
        }
        return y;
    }
}
