package dev.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.io.AdapterFormatException;
import dev.peft4j.models.io.SafeTensorsCheckpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameters of {@code LlamaForCausalLM} under Hugging Face's state-dict names, and the ways to fill them: at
 * random from a seed, or from a checkpoint directory as {@code save_pretrained} writes it ({@code model.safetensors},
 * or shards listed by {@code model.safetensors.index.json}); and the way back, in F32, F16 or BF16. The files are
 * read and written by {@link SafeTensorsCheckpoint}, which refuses any checkpoint that does not match
 * {@link #shapes} exactly; this class adds what is particular to Llama.
 *
 * <p>Two things real checkpoints carry are tolerated, as {@code transformers} tolerates them:
 * {@code model.layers.N.self_attn.rotary_emb.inv_freq} (a RoPE buffer older exports saved; recomputed from
 * {@code rope_theta}, so it is ignored whatever its contents) and {@code lm_head.weight} in a tied checkpoint, which
 * is dropped when it equals {@code model.embed_tokens.weight} and refused when it differs, since then the file
 * holds a head that tying would silently replace (set {@code tie_word_embeddings false} to use it). Refusals name
 * the {@code config.json} field that most likely does not belong to the weights.
 */
public final class LlamaWeights {

    /** The single-file checkpoint. */
    public static final String WEIGHTS_FILE = SafeTensorsCheckpoint.WEIGHTS_FILE;
    /** The index of a sharded checkpoint. */
    public static final String INDEX_FILE = SafeTensorsCheckpoint.INDEX_FILE;
    /** The dtypes {@link #save} writes. */
    public static final List<String> SAVE_DTYPES = SafeTensorsCheckpoint.SAVE_DTYPES;
    /** {@code transformers}' default shard limit ({@code max_shard_size="5GB"}). */
    public static final long DEFAULT_MAX_SHARD_BYTES = SafeTensorsCheckpoint.DEFAULT_MAX_SHARD_BYTES;

    static final String EMBEDDINGS = "model.embed_tokens.weight";
    static final String FINAL_NORM = "model.norm.weight";
    static final String LM_HEAD = "lm_head.weight";
    static final String[] ATTENTION = {"q_proj", "k_proj", "v_proj", "o_proj"};
    static final String[] MLP = {"gate_proj", "up_proj", "down_proj"};

    private static final Pattern INV_FREQ =
            Pattern.compile("model\\.layers\\.(\\d{1,9})\\.self_attn\\.rotary_emb\\.inv_freq");
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d{1,9})\\..*");

    private LlamaWeights() {
    }

    /**
     * Every parameter with its shape, named and ordered as {@code LlamaForCausalLM.state_dict()}: the embedding; per
     * layer q/k/v/o projections (with biases when {@code attention_bias}), gate/up/down (biases when
     * {@code mlp_bias}), the two RMSNorms; the final norm; {@code lm_head.weight} only when not tied. Linear weights
     * are {@code [out, in]}. No rotary buffers: {@code transformers} registers {@code inv_freq} non-persistent.
     */
    public static Map<String, long[]> shapes(LlamaConfig c) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        long h = c.hiddenSize();
        long f = c.intermediateSize();
        long[][] attentionOutIn = {{c.queryDim(), h}, {c.keyValueDim(), h}, {c.keyValueDim(), h}, {h, c.queryDim()}};
        long[][] mlpOutIn = {{f, h}, {f, h}, {h, f}};
        shapes.put(EMBEDDINGS, new long[] {c.vocabSize(), h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            linears(shapes, p + "self_attn.", ATTENTION, attentionOutIn, c.attentionBias());
            linears(shapes, p + "mlp.", MLP, mlpOutIn, c.mlpBias());
            shapes.put(p + "input_layernorm.weight", new long[] {h});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {h});
        }
        shapes.put(FINAL_NORM, new long[] {h});
        if (!c.tieWordEmbeddings()) {
            shapes.put(LM_HEAD, new long[] {c.vocabSize(), h});
        }
        return shapes;
    }

    private static void linears(Map<String, long[]> shapes, String prefix, String[] names, long[][] outIn,
            boolean bias) {
        for (int k = 0; k < names.length; k++) {
            shapes.put(prefix + names[k] + ".weight", outIn[k].clone());
            if (bias) {
                shapes.put(prefix + names[k] + ".bias", new long[] {outIn[k][0]});
            }
        }
    }

    /** The number of parameters (a tied head counted once), e.g. 6,738,415,616 for Llama-2-7B. */
    public static long parameterCount(LlamaConfig c) {
        long total = 0;
        for (long[] shape : shapes(c).values()) {
            total = Math.addExact(total, new Shape(shape).size()); // int dimensions, at most two: no overflow
        }
        return total;
    }

    /**
     * Hugging Face's {@code _init_weights}: linear and embedding weights N(0, initializer_range), the padding row of
     * the embedding zero, biases zero, RMSNorm weights one. Drawn from a {@link java.util.Random} in state-dict
     * order, so a seed gives the same bits on every machine and engine.
     */
    public static Map<String, NDArray> random(LlamaConfig c, long seed, NDManager manager) {
        Random random = new Random(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : shapes(c).entrySet()) {
            String name = e.getKey();
            Shape shape = new Shape(e.getValue());
            if (name.endsWith("layernorm.weight") || name.equals(FINAL_NORM)) {
                params.put(name, manager.ones(shape));
            } else if (name.endsWith(".bias")) {
                params.put(name, manager.zeros(shape));
            } else {
                float[] values = new float[Math.toIntExact(shape.size())];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) random.nextGaussian() * c.initializerRange();
                }
                if (name.equals(EMBEDDINGS) && c.padTokenId() != null) {
                    Arrays.fill(values, c.padTokenId() * c.hiddenSize(), (c.padTokenId() + 1) * c.hiddenSize(), 0f);
                }
                params.put(name, manager.create(values, shape));
            }
        }
        return params;
    }

    /**
     * Reads {@code dir/model.safetensors}, or else the shards {@code dir/model.safetensors.index.json} lists, into
     * FLOAT32 arrays created in {@code manager}, checked against {@link #shapes} (see the class comment). When both
     * forms are present the single file wins, as in {@code transformers}.
     */
    public static Map<String, NDArray> load(Path dir, LlamaConfig c, NDManager manager) throws IOException {
        return checkpoint(c).load(dir, manager);
    }

    /**
     * Atomically writes {@code dir/model.safetensors} with Hugging Face's key names, tensors rounded to {@code dtype}
     * ("F32", "F16" or "BF16"), as {@link SafeTensorsCheckpoint#save}. The parameters must be exactly
     * {@link #shapes}{@code (c)}; values the dtype cannot hold are refused before anything is written.
     */
    public static void save(Map<String, NDArray> parameters, LlamaConfig c, Path dir, String dtype)
            throws IOException {
        checkpoint(c).save(parameters, dir, dtype);
    }

    /**
     * Writes the checkpoint as {@code save_pretrained(max_shard_size=maxShardBytes)} does, shards and index, or one
     * {@code model.safetensors} when everything fits one shard; see {@link SafeTensorsCheckpoint#saveSharded} for
     * the split and the order of writes that keeps the directory loadable throughout.
     */
    public static void saveSharded(Map<String, NDArray> parameters, LlamaConfig c, Path dir, String dtype,
            long maxShardBytes) throws IOException {
        checkpoint(c).saveSharded(parameters, dir, dtype, maxShardBytes);
    }

    private static SafeTensorsCheckpoint checkpoint(LlamaConfig c) {
        return new SafeTensorsCheckpoint(shapes(c), new LlamaPolicy(c));
    }

    /**
     * Llama's rules for a checkpoint against one config: the {@code inv_freq} buffers and a tied head that may be
     * present, and advice that points at the {@code config.json} field a mismatch most likely comes from.
     */
    private record LlamaPolicy(LlamaConfig c) implements SafeTensorsCheckpoint.Policy {

        private static final String SAVE_EXACTLY = "save exactly the tensors LlamaWeights.shapes(config) lists";

        @Override
        public String architecture() {
            return LlamaConfig.ARCHITECTURE;
        }

        @Override
        public String config() {
            return String.format(Locale.ROOT, "vocab %d, hidden %d, intermediate %d, %d layers, %d heads, "
                    + "%d kv heads, head_dim %d", c.vocabSize(), c.hiddenSize(), c.intermediateSize(),
                    c.numHiddenLayers(), c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim());
        }

        /** {@code inv_freq} of a layer this config has; one of another layer means the config is not the model's. */
        @Override
        public boolean ignores(String key) {
            return isInvFreq(key, c.numHiddenLayers());
        }

        /** Any layer's {@code inv_freq}: an index lists parameters, and whether the layer exists is checked later. */
        @Override
        public boolean mayBeUnlisted(String key) {
            return isInvFreq(key, Integer.MAX_VALUE);
        }

        @Override
        public String duplicateOf(String key) {
            return key.equals(LM_HEAD) && c.tieWordEmbeddings() ? EMBEDDINGS : null;
        }

        @Override
        public AdapterFormatException differs(Path file, String key, String difference) {
            return new AdapterFormatException(file, key, "no lm_head.weight, or one equal to " + EMBEDDINGS
                    + ", since config.json has tie_word_embeddings true", "an lm_head.weight that differs from the "
                    + "embedding (" + difference + ")", "if the model has its own head, set "
                    + "\"tie_word_embeddings\": false in config.json; otherwise drop lm_head.weight");
        }

        @Override
        public String unexpectedFix(String key) {
            Matcher layer = LAYER.matcher(key);
            if (layer.matches() && Long.parseLong(layer.group(1)) >= c.numHiddenLayers()) {
                return "config.json says num_hidden_layers " + c.numHiddenLayers() + " but the checkpoint has more "
                        + "layers; use the config.json that came with these weights";
            }
            if (key.endsWith(".bias")) {
                return "config.json says attention_bias " + c.attentionBias() + " and mlp_bias " + c.mlpBias()
                        + "; use the config.json that came with these weights";
            }
            if (!key.startsWith("model.")) {
                return "keys of LlamaForCausalLM start with \"model.\" (a bare LlamaModel or another architecture "
                        + "saved these weights); save the causal LM with save_pretrained";
            }
            return SafeTensorsCheckpoint.Policy.super.unexpectedFix(key);
        }

        @Override
        public String missingFix(String key) {
            if (key.equals(LM_HEAD)) {
                return "the checkpoint has no separate head: if it ties the head to the embedding, set "
                        + "\"tie_word_embeddings\": true in config.json";
            }
            if (key.endsWith(".bias")) {
                return "config.json says attention_bias " + c.attentionBias() + " and mlp_bias " + c.mlpBias()
                        + " but the weights have no biases; use the config.json that came with these weights";
            }
            return SafeTensorsCheckpoint.Policy.super.missingFix(key);
        }

        @Override
        public String saveFix(String key) {
            return duplicateOf(key) != null ? "the config ties the head to the embedding, so there is no "
                    + "lm_head.weight; " + SAVE_EXACTLY : SAVE_EXACTLY;
        }

        private static boolean isInvFreq(String key, int layers) {
            Matcher m = INV_FREQ.matcher(key);
            return m.matches() && Integer.parseInt(m.group(1)) < layers;
        }
    }
}
