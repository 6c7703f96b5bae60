package dev.peft4j.models.llama;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The shape of a Llama decoder as Hugging Face's {@code LlamaConfig} describes it in {@code config.json}, limited to
 * what {@code LlamaForCausalLM} with plain RoPE reads.
 *
 * <p>{@link #fromJson} is strict where a silent misreading would give a different model: a {@code model_type} other
 * than {@code llama}, RoPE scaling, an activation other than SiLU, quantized weights, another head
 * ({@code architectures}), or a value of the wrong JSON type are errors naming the field, the value found and what
 * is supported. Fields that do not change the forward pass ({@code transformers_version}, {@code use_cache},
 * {@code _name_or_path}, generation settings, ...) are ignored, as {@code transformers} ignores them.
 *
 * <p>{@code pretraining_tp} is accepted whatever its (positive) value: older {@code transformers} used it only to
 * split each projection into that many slices, multiply each and concatenate or sum the results, which is the same
 * linear map up to floating-point summation order, and current {@code transformers} no longer reads it at all.
 *
 * @param vocabSize rows of the token embedding (and of {@code lm_head})
 * @param hiddenSize width of the residual stream
 * @param intermediateSize width of the SwiGLU MLP ({@code gate_proj} / {@code up_proj} outputs)
 * @param numHiddenLayers decoder layers
 * @param numAttentionHeads query heads
 * @param numKeyValueHeads key/value heads (grouped-query attention); divides {@code numAttentionHeads}
 * @param headDim width of one head; even, since RoPE rotates pairs; need not be {@code hiddenSize / heads}
 * @param maxPositionEmbeddings longest sequence (prompt plus generated tokens) the RoPE tables cover
 * @param rmsNormEps epsilon of every RMSNorm
 * @param ropeTheta RoPE base period
 * @param tieWordEmbeddings whether {@code lm_head} reuses {@code embed_tokens} (then the checkpoint has no head)
 * @param attentionBias whether q/k/v/o projections have biases
 * @param mlpBias whether gate/up/down projections have biases
 * @param attentionDropout dropout on attention probabilities, training only
 * @param hiddenAct the MLP activation; always {@code "silu"}
 * @param bosTokenId beginning-of-sequence id, or null when the model has none
 * @param eosTokenIds end-of-sequence ids (Llama 3 instruct models have several); may be empty
 * @param padTokenId padding id (its embedding row starts at zero), or null
 * @param initializerRange standard deviation of the random initialisation
 * @param torchDtype the dtype the checkpoint was saved in ({@code "bfloat16"}, ...), informational, or null
 */
public record LlamaConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers,
        int numAttentionHeads, int numKeyValueHeads, int headDim, int maxPositionEmbeddings, float rmsNormEps,
        double ropeTheta, boolean tieWordEmbeddings, boolean attentionBias, boolean mlpBias, float attentionDropout,
        String hiddenAct, Integer bosTokenId, List<Integer> eosTokenIds, Integer padTokenId, float initializerRange,
        String torchDtype) {

    /** The file beside the weights. */
    public static final String FILE = "config.json";
    /** The only activation Llama uses. */
    public static final String SILU = "silu";
    static final String MODEL_TYPE = "llama";
    static final String ARCHITECTURE = "LlamaForCausalLM";

    /** A constructor check that failed, with the {@code config.json} field it is about. */
    static final class InvalidField extends IllegalArgumentException {

        private static final long serialVersionUID = 1L;
        final String field;

        InvalidField(String field, String message) {
            super(message);
            this.field = field;
        }
    }

    public LlamaConfig {
        requirePositive("vocab_size", vocabSize);
        requirePositive("hidden_size", hiddenSize);
        requirePositive("intermediate_size", intermediateSize);
        requirePositive("num_hidden_layers", numHiddenLayers);
        requirePositive("num_attention_heads", numAttentionHeads);
        requirePositive("num_key_value_heads", numKeyValueHeads);
        requirePositive("head_dim", headDim);
        requirePositive("max_position_embeddings", maxPositionEmbeddings);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new InvalidField("num_key_value_heads", "num_key_value_heads " + numKeyValueHeads
                    + " does not divide num_attention_heads " + numAttentionHeads + "; each key/value head serves "
                    + "a whole group of query heads, so pick a divisor of " + numAttentionHeads);
        }
        if (headDim % 2 != 0) {
            throw new InvalidField("head_dim", "head_dim must be even for rotary position embeddings (they rotate "
                    + "pairs of dimensions), found " + headDim);
        }
        if (!(rmsNormEps > 0f) || Float.isInfinite(rmsNormEps)) {
            throw new InvalidField("rms_norm_eps", "rms_norm_eps must be a finite number > 0, found " + rmsNormEps);
        }
        if (!(ropeTheta > 0.0) || Double.isInfinite(ropeTheta)) {
            throw new InvalidField("rope_theta", "rope_theta must be a finite number > 0, found " + ropeTheta);
        }
        if (!(attentionDropout >= 0f && attentionDropout < 1f)) {
            throw new InvalidField("attention_dropout", "attention_dropout must be in [0, 1), found "
                    + attentionDropout);
        }
        if (!(initializerRange >= 0f) || Float.isInfinite(initializerRange)) {
            throw new InvalidField("initializer_range", "initializer_range must be a finite number >= 0, found "
                    + initializerRange);
        }
        if (!SILU.equals(hiddenAct)) {
            throw new InvalidField("hidden_act", "hidden_act must be \"silu\" (Llama's SwiGLU MLP), found "
                    + (hiddenAct == null ? "null" : "\"" + hiddenAct + "\""));
        }
        Objects.requireNonNull(eosTokenIds, "eosTokenIds (use an empty list for none)");
        eosTokenIds = List.copyOf(eosTokenIds); // also refuses null elements
        requireTokenId("bos_token_id", bosTokenId, vocabSize);
        for (Integer id : eosTokenIds) {
            requireTokenId("eos_token_id", id, vocabSize);
        }
        requireTokenId("pad_token_id", padTokenId, vocabSize);
    }

    /**
     * The unit tests' model: vocabulary 64, hidden 32, MLP 48, 2 layers, 4 query heads sharing 2 key/value heads
     * (so grouped-query attention is exercised) of width 8, 64 positions, tied embeddings, eps 1e-6.
     */
    public static LlamaConfig tiny() {
        return new LlamaConfig(64, 32, 48, 2, 4, 2, 8, 64, 1e-6f, 10000.0, true, false, false, 0f, SILU, 1, List.of(2),
                null, 0.02f, "float32");
    }

    /** Query heads per key/value head. */
    public int numKeyValueGroups() {
        return numAttentionHeads / numKeyValueHeads;
    }

    /** Output width of {@code q_proj} (input width of {@code o_proj}): heads x head_dim. */
    public int queryDim() {
        return numAttentionHeads * headDim;
    }

    /** Output width of {@code k_proj} and {@code v_proj}: key/value heads x head_dim. */
    public int keyValueDim() {
        return numKeyValueHeads * headDim;
    }

    /** The same model with or without a separate {@code lm_head}. */
    public LlamaConfig withTieWordEmbeddings(boolean tie) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tie, attentionBias, mlpBias,
                attentionDropout, hiddenAct, bosTokenId, eosTokenIds, padTokenId, initializerRange, torchDtype);
    }

    /** The same model with or without biases on the attention and MLP projections. */
    public LlamaConfig withBiases(boolean attention, boolean mlp) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tieWordEmbeddings, attention,
                mlp, attentionDropout, hiddenAct, bosTokenId, eosTokenIds, padTokenId, initializerRange, torchDtype);
    }

    /** The same architecture over another vocabulary, with that vocabulary's BOS and EOS ids. */
    public LlamaConfig withVocabulary(int vocab, Integer bos, List<Integer> eos) {
        return new LlamaConfig(vocab, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tieWordEmbeddings,
                attentionBias, mlpBias, attentionDropout, hiddenAct, bos, eos, padTokenId, initializerRange,
                torchDtype);
    }

    /** The same model initialised with another standard deviation ({@code initializer_range}). */
    public LlamaConfig withInitializerRange(float range) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tieWordEmbeddings,
                attentionBias, mlpBias, attentionDropout, hiddenAct, bosTokenId, eosTokenIds, padTokenId, range,
                torchDtype);
    }

    /** The same model with another padding id (null for none). */
    public LlamaConfig withPadTokenId(Integer pad) {
        return new LlamaConfig(vocabSize, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, maxPositionEmbeddings, rmsNormEps, ropeTheta, tieWordEmbeddings,
                attentionBias, mlpBias, attentionDropout, hiddenAct, bosTokenId, eosTokenIds, pad, initializerRange,
                torchDtype);
    }

    /**
     * The {@code config.json} text {@code transformers} writes for this model: keys sorted, every field above under
     * its Hugging Face name, {@code architectures ["LlamaForCausalLM"]}, {@code rope_scaling null}, one eos id as a
     * number and several as a list.
     */
    public String toJson() {
        return LlamaConfigJson.toJson(this);
    }

    /** Atomically writes {@code dir/config.json} (see {@link #toJson}), creating {@code dir} if needed. */
    public void save(Path dir) throws IOException {
        LlamaConfigJson.save(this, dir);
    }

    /** Reads {@code dir/config.json}; see {@link #fromJson} for what is refused. */
    public static LlamaConfig load(Path dir) throws IOException {
        return LlamaConfigJson.load(dir);
    }

    /**
     * Parses the text of a {@code config.json}. Every problem is an {@link dev.peft4j.core.io.AdapterFormatException}
     * whose {@code key()} is the JSON field at fault and whose message starts with {@code sourceForMessages} (the
     * file's path, or a description when the text came from elsewhere).
     */
    public static LlamaConfig fromJson(String json, String sourceForMessages) throws IOException {
        return LlamaConfigJson.parse(json, sourceForMessages);
    }

    private static void requirePositive(String name, int value) {
        if (value <= 0) {
            throw new InvalidField(name, name + " must be > 0, found " + value);
        }
    }

    private static void requireTokenId(String name, Integer id, int vocabSize) {
        if (id != null && (id < 0 || id >= vocabSize)) {
            throw new InvalidField(name, name + " must be a token id in [0, vocab_size " + vocabSize + "), found "
                    + id);
        }
    }
}
