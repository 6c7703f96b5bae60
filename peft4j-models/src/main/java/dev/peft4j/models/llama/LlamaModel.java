package dev.peft4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import dev.peft4j.core.adapter.AdaptableModel;
import dev.peft4j.core.adapter.TaskType;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.models.generate.CausalLanguageModel;
import dev.peft4j.models.nn.AttentionMasks;
import dev.peft4j.models.nn.GatedFeedForward;
import dev.peft4j.models.nn.HeadLayout;
import dev.peft4j.models.nn.KeyValueCache;
import dev.peft4j.models.nn.MultiHeadAttention;
import dev.peft4j.models.nn.PreNormBlock;
import dev.peft4j.models.nn.RmsNorm;
import dev.peft4j.models.nn.RotaryEmbedding;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A Llama-family causal language model as Hugging Face's {@code LlamaForCausalLM} defines it: token embeddings,
 * pre-RMSNorm blocks of grouped-query self-attention with rotary position embeddings and a SwiGLU MLP, a final
 * RMSNorm and the {@code lm_head} (tied to the embeddings when {@code tie_word_embeddings}). Every projection is a
 * {@link LinearSlot} under its Hugging Face module path ({@code model.layers.N.self_attn.q_proj|k_proj|v_proj|o_proj},
 * {@code model.layers.N.mlp.gate_proj|up_proj|down_proj}, then {@code lm_head}, a head that {@code all-linear}
 * skips), so any peft4j method targets it exactly as peft targets a Llama. All parameters start frozen.
 *
 * <p>Activations are attached to the manager of the input ids, so a caller that opens one manager per batch frees
 * each step's memory when it closes it (the ViT's and BERT's convention).
 */
public final class LlamaModel implements AdaptableModel, CausalLanguageModel {

    static final String EMBEDDINGS = "model.embed_tokens.weight";
    static final String FINAL_NORM = "model.norm";
    static final String HEAD = "lm_head";
    /** The projections of one decoder layer, relative to {@code model.layers.N.}, in Hugging Face's order. */
    static final List<String> LAYER_LINEARS = List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
            "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj");

    private final LlamaConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private String nameOrPath;
    private final Map<String, LinearSlot> slots;
    private final List<PreNormBlock> layers;
    private final RmsNorm finalNorm;
    private final LinearSlot head;
    private final RotaryEmbedding rotary;

    private LlamaModel(LlamaConfig config, NDManager manager, Map<String, NDArray> parameters) {
        this.config = config;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
        this.rotary = new RotaryEmbedding(config.headDim(), config.ropeTheta(), config.maxPositionEmbeddings(),
                manager);
        HeadLayout heads = new HeadLayout(config.numAttentionHeads(), config.numKeyValueHeads(), config.headDim());
        Map<String, LinearSlot> linear = new LinkedHashMap<>();
        List<PreNormBlock> built = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            String prefix = layerPrefix(i);
            for (String module : LAYER_LINEARS) {
                String path = prefix + module;
                linear.put(path, new LinearSlot(path, parameters.get(path + ".weight"), parameters.get(path + ".bias")));
            }
            MultiHeadAttention attention = new MultiHeadAttention(linear.get(prefix + "self_attn.q_proj"),
                    linear.get(prefix + "self_attn.k_proj"), linear.get(prefix + "self_attn.v_proj"),
                    linear.get(prefix + "self_attn.o_proj"), heads, rotary, config.attentionDropout());
            GatedFeedForward mlp = new GatedFeedForward(linear.get(prefix + "mlp.gate_proj"),
                    linear.get(prefix + "mlp.up_proj"), linear.get(prefix + "mlp.down_proj"));
            built.add(new PreNormBlock(RmsNorm.fromParameters(parameters, prefix + "input_layernorm",
                    config.rmsNormEps()), attention, RmsNorm.fromParameters(parameters,
                    prefix + "post_attention_layernorm", config.rmsNormEps()), mlp, 0f));
        }
        NDArray headWeight = config.tieWordEmbeddings() ? parameters.get(EMBEDDINGS)
                : parameters.get(HEAD + ".weight");
        this.head = new LinearSlot(HEAD, headWeight, null);
        linear.put(HEAD, head);
        this.slots = Collections.unmodifiableMap(linear);
        this.layers = List.copyOf(built);
        this.finalNorm = RmsNorm.fromParameters(parameters, FINAL_NORM, config.rmsNormEps());
    }

    static String layerPrefix(int layer) {
        return "model.layers." + layer + ".";
    }

    /** A randomly initialised model (Hugging Face's init, see {@link LlamaWeights#random}) from a seed. */
    public static LlamaModel random(LlamaConfig config, long seed, NDManager parent) {
        NDManager manager = parent.newSubManager();
        try {
            return new LlamaModel(config, manager, LlamaWeights.random(config, seed, manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Loads a model directory as users have them: {@code config.json}, and {@code model.safetensors} or a sharded
     * {@code model.safetensors.index.json}, in fp32, fp16 or bf16 (computed in fp32).
     */
    public static LlamaModel load(Path dir, NDManager parent) throws IOException {
        LlamaConfig config = LlamaConfig.load(dir);
        NDManager manager = parent.newSubManager();
        try {
            return new LlamaModel(config, manager, LlamaWeights.load(dir, config, manager))
                    .identifiedAs(dir.toAbsolutePath().normalize().toString());
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} in Hugging Face's layout and key names, tensors in
     * {@code dtype} ("F32", "F16" or "BF16"). Saves the base weights: merge or unload adapters first.
     */
    public void save(Path dir, String dtype) throws IOException {
        LlamaWeights.save(parameters(), config, dir, dtype);
        config.save(dir);
    }

    public LlamaConfig config() {
        return config;
    }

    /**
     * Logits [batch, seq, vocab] of a whole sequence under the slots' active adapters.
     *
     * @param inputIds [batch, seq] token ids (any integer type)
     * @param attentionMask [batch, seq] 1 for tokens, 0 for padding (left or right), or null for none
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, boolean training) {
        return head.forward(hiddenStates(inputIds, attentionMask, null, training, null), (AdapterSelection) null);
    }

    /** {@link #forward(NDArray, NDArray, boolean)} under an explicit adapter choice (one, per row, or the base). */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, boolean training, AdapterSelection selection) {
        requireSelection(selection, inputIds);
        return head.forward(hiddenStates(inputIds, attentionMask, null, training, selection), selection);
    }

    @Override
    public NDArray logits(NDArray inputIds, NDArray attentionMask, KeyValueCache cache, AdapterSelection selection) {
        if (selection != null) {
            requireSelection(selection, inputIds);
        }
        return head.forward(hiddenStates(inputIds, attentionMask, cache, false, selection), selection);
    }

    @Override
    public NDArray nextTokenLogits(NDArray inputIds, NDArray attentionMask, KeyValueCache cache,
            AdapterSelection selection) {
        if (selection != null) {
            requireSelection(selection, inputIds);
        }
        NDArray last = hiddenStates(inputIds, attentionMask, cache, false, selection).get(new NDIndex(":, -1, :"));
        return head.forward(last, selection);
    }

    /**
     * The final norm's output [batch, seq, hidden], what {@code lm_head} reads.
     *
     * @param attentionMask [batch, cached + seq] over the cached and the new positions (null: all real tokens)
     * @param cache the keys and values of earlier positions, extended by this call; null for a whole sequence
     * @param selection the adapter per row; null: the slots' active adapters
     */
    public NDArray hiddenStates(NDArray inputIds, NDArray attentionMask, KeyValueCache cache, boolean training,
            AdapterSelection selection) {
        Shape shape = inputIds.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("Input ids must be [batch, seq], found " + shape);
        }
        long seq = shape.get(1);
        long past = cache == null ? 0 : cache.length();
        long total = past + seq;
        if (total > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException(total + " positions exceed this model's max_position_embeddings "
                    + config.maxPositionEmbeddings() + "; shorten the prompt or max_new_tokens");
        }
        if (attentionMask != null && !attentionMask.getShape().equals(new Shape(shape.get(0), total))) {
            throw new IllegalArgumentException("The attention mask must be [batch, cached + new] = [" + shape.get(0)
                    + ", " + total + "], found " + attentionMask.getShape());
        }
        NDManager step = inputIds.getManager();
        NDArray positions = positions(attentionMask, step, seq, total);
        NDArray bias = AttentionMasks.causal(step, seq, total);
        if (attentionMask != null) {
            bias = AttentionMasks.both(bias, AttentionMasks.padding(attentionMask));
        }
        NDArray x = Embedding.embedding(inputIds.toType(DataType.INT64, false), parameters.get(EMBEDDINGS),
                SparseFormat.DENSE).singletonOrThrow();
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).forward(x, bias, positions, cache == null ? null : cache.layer(i), training, selection);
        }
        return finalNorm.forward(x);
    }

    /**
     * Position ids [batch, seq] of the new tokens: with a mask, each row counts only its real tokens (a left-padded
     * row starts at 0 at its first token, as Hugging Face's {@code cumsum(mask) - 1}; padding gets 0); without one,
     * {@code cached..cached+seq-1}.
     */
    private static NDArray positions(NDArray attentionMask, NDManager step, long seq, long total) {
        if (attentionMask == null) {
            return step.arange(total - seq, total, 1, DataType.INT64).reshape(1, seq);
        }
        NDArray counted = attentionMask.toType(DataType.INT64, false).cumSum(1).sub(1).maximum(0);
        return counted.get(new NDIndex(":, {}:", total - seq));
    }

    @Override
    public KeyValueCache newCache(NDManager parent) {
        return new KeyValueCache(parent, layers.size());
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int maxPositions() {
        return config.maxPositionEmbeddings();
    }

    private void requireSelection(AdapterSelection selection, NDArray inputIds) {
        Objects.requireNonNull(selection, "selection (use the forward without one for the active adapter)");
        selection.requireLoadedIn(this).requireRows(inputIds.getShape().get(0), modelName());
    }

    /** The head slot {@code lm_head} [vocab, hidden]. */
    public LinearSlot head() {
        return head;
    }

    @Override
    public String modelName() {
        return "LlamaModel";
    }

    /** The directory it was loaded from, or the id of the checkpoint peft4j ships; null for a random model. */
    @Override
    public String baseModelNameOrPath() {
        return nameOrPath == null ? modelName() : nameOrPath;
    }

    @Override
    public TaskType taskType() {
        return TaskType.CAUSAL_LM;
    }

    /** Names the model's source for adapter files (the loaders call it; a shipped checkpoint names its id). */
    LlamaModel identifiedAs(String source) {
        this.nameOrPath = source;
        return this;
    }

    /** The layers' projections in model order, then {@code lm_head}. */
    @Override
    public Map<String, LinearSlot> linearLayers() {
        return slots;
    }

    /**
     * Every parameter under its Hugging Face name, read through the slots so a replaced base weight shows here too;
     * with tied embeddings there is no {@code lm_head.weight} (it is {@code model.embed_tokens.weight}).
     */
    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> current = new LinkedHashMap<>(parameters);
        for (LinearSlot slot : slots.values()) {
            if (slot != head || !config.tieWordEmbeddings()) {
                current.put(slot.name() + ".weight", slot.weight());
            }
        }
        return Collections.unmodifiableMap(current);
    }

    @Override
    public Set<String> headModules() {
        return Set.of(HEAD);
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    /** Detaches all adapters and frees every tensor of the model. */
    @Override
    public void close() {
        for (LinearSlot slot : slots.values()) {
            slot.close();
        }
        manager.close();
    }
}
