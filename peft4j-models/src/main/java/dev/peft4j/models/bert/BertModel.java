package dev.peft4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import dev.peft4j.core.adapter.AdaptableModel;
import dev.peft4j.core.adapter.TaskType;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.models.io.OnnxInitializers;
import dev.peft4j.models.nn.AttentionMasks;
import dev.peft4j.models.nn.Dropout;
import dev.peft4j.models.nn.LayerNorm;
import dev.peft4j.models.nn.LayerScope;
import dev.peft4j.models.nn.TransformerBlock;
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
 * A BERT-family encoder (Hugging Face's {@code BertModel} without the pooler) written with
 * differentiable DJL operations, so that DJL's {@code GradientCollector} trains whatever an
 * adapter method marks trainable. Every linear layer is a {@link LinearSlot} named by its Hugging
 * Face module path; all parameters start frozen.
 *
 * <p>The model owns a sub-manager of the one it is created with. The activations of
 * {@link #forward} are attached to the manager of {@code inputIds}, so a caller that opens one
 * manager per batch frees each step's memory when it closes that manager.
 */
public final class BertModel implements AdaptableModel {

    private final String name;
    private String nameOrPath;
    private final BertConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final Map<String, LinearSlot> slots;
    private final LayerNorm embeddingNorm;
    private final List<TransformerBlock> layers;

    private BertModel(String name, BertConfig config, NDManager manager, Map<String, NDArray> parameters) {
        this.name = name;
        this.nameOrPath = name;
        this.config = config;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
        Map<String, LinearSlot> linear = new LinkedHashMap<>();
        List<TransformerBlock> built = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            String prefix = "encoder.layer." + i + ".";
            for (String module : BertWeights.LAYER_LINEARS) {
                String path = prefix + module;
                linear.put(path, new LinearSlot(path, parameters.get(path + ".weight"), parameters.get(path + ".bias")));
            }
            built.add(BertLayer.create(config, prefix, linear, parameters));
        }
        this.slots = Collections.unmodifiableMap(linear);
        this.layers = List.copyOf(built);
        this.embeddingNorm = LayerNorm.fromParameters(parameters, "embeddings.LayerNorm", config.layerNormEps());
    }

    /**
     * Loads a pretrained encoder from its Maven jar (see {@link PretrainedModel#coordinates()}).
     * The sizes are read off the weights; the model's tensors live under a sub-manager of
     * {@code parent}.
     */
    public static BertModel load(PretrainedModel model, Path jar, NDManager parent) throws IOException {
        if (model.format() == PretrainedModel.Format.TF_SAVED_MODEL_ZIP) {
            Path savedModel = SavedModelJar.extract(model, jar);
            return fromTfCheckpoint(model.id(), savedModel.resolve(SavedModelJar.VARIABLES_PREFIX), model.numHeads(),
                    parent).nameOrPath(model.hubName());
        }
        OnnxInitializers weights = model.readEntry(jar, model.onnxEntry(), OnnxInitializers::read);
        return fromOnnx(model.id(), weights, model.numHeads(), parent).nameOrPath(model.hubName());
    }

    /**
     * An encoder from a TF checkpoint with Google's BERT names, e.g. the {@code variables/variables}
     * prefix of a SavedModel; tensors are memory-mapped and copied one at a time. Pooler and MLM
     * head, if saved, are not part of the encoder.
     */
    public static BertModel fromTfCheckpoint(String name, Path variablesPrefix, int numHeads, NDManager parent)
            throws IOException {
        try (TfBertCheckpoint checkpoint = TfBertCheckpoint.open(variablesPrefix)) {
            BertConfig config = checkpoint.config(numHeads);
            NDManager manager = parent.newSubManager();
            try {
                return new BertModel(name, config, manager,
                        BertWeights.fromSource(checkpoint::require, checkpoint.source(), config, manager));
            } catch (IOException | RuntimeException e) {
                manager.close();
                throw e;
            }
        }
    }

    /** An encoder from ONNX initializers with Hugging Face names; {@code numHeads} is not in the weights. */
    public static BertModel fromOnnx(String name, OnnxInitializers weights, int numHeads, NDManager parent) {
        BertConfig config = BertConfig.inferFrom(weights, numHeads);
        NDManager manager = parent.newSubManager();
        try {
            return new BertModel(name, config, manager, BertWeights.fromOnnx(weights, config, manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** A randomly initialised encoder of any shape (BERT's init: N(0, 0.02), zero biases), from a seed. */
    public static BertModel random(BertConfig config, long seed, NDManager parent) {
        NDManager manager = parent.newSubManager();
        return new BertModel("random-bert", config, manager, BertWeights.random(config, seed, manager));
    }

    /** The test encoder: hidden 32, 2 layers, 4 heads, ffn 64, vocab 100, 64 positions. */
    public static BertModel randomTiny(long seed, NDManager parent) {
        return random(BertConfig.tiny(), seed, parent);
    }

    public BertConfig config() {
        return config;
    }

    /**
     * The last hidden state [batch, seq, hidden].
     *
     * @param inputIds [batch, seq] token ids (int64 or int32)
     * @param attentionMask [batch, seq], 1 for tokens and 0 for padding; null attends everywhere
     * @param tokenTypeIds [batch, seq] segment ids; null means all 0 (single sentences)
     * @param training applies dropout when true
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds, boolean training) {
        return encode(inputIds, attentionMask, tokenTypeIds, training, null);
    }

    /**
     * The last hidden state under an explicit adapter choice: one adapter for the batch, one per row, or the base.
     * Reads and writes no active-adapter state, so calls with different selections may run concurrently.
     *
     * @param selection which adapter each row applies; names must be loaded on this model
     * @see #forward(NDArray, NDArray, NDArray, boolean)
     */
    public NDArray forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds, boolean training,
            AdapterSelection selection) {
        Objects.requireNonNull(selection, "selection (use the forward without one for the active adapter)");
        selection.requireLoadedIn(this).requireRows(inputIds.getShape().get(0), name);
        return encode(inputIds, attentionMask, tokenTypeIds, training, selection);
    }

    /** The encoder; {@code selection} null: the slots' active adapters. Checked by the public forwards. */
    NDArray encode(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds, boolean training,
            AdapterSelection selection) {
        if (inputIds.getShape().dimension() != 2) {
            throw new IllegalArgumentException("inputIds must be [batch, seq], found shape " + inputIds.getShape());
        }
        long seq = inputIds.getShape().get(1);
        if (seq > config.maxPositions()) {
            throw new IllegalArgumentException("Input has " + seq + " tokens but " + name + " has only "
                    + config.maxPositions() + " positions; truncate with the tokenizer's max length");
        }
        NDArray ids = inputIds.toType(DataType.INT64, false);
        NDArray types = tokenTypeIds == null ? ids.zerosLike() : tokenTypeIds.toType(DataType.INT64, false);
        requireIdsBelow(ids, config.vocabSize(), "token id", "vocabulary");
        requireIdsBelow(types, config.typeVocabSize(), "token type id", "token type table");
        NDArray x = embed(ids, types, training);
        NDArray maskBias = attentionMask == null ? null : AttentionMasks.padding(attentionMask);
        for (TransformerBlock layer : layers) {
            x = LayerScope.freeing(x, in -> layer.forward(in, maskBias, training, selection));
        }
        return x;
    }

    /** An out-of-range id would fail deep in the engine with "index out of range in self". */
    private void requireIdsBelow(NDArray ids, int size, String what, String table) {
        long max = ids.max().getLong(); // one scalar read per batch, cheap next to the forward pass
        long min = ids.min().getLong();
        if (max >= size || min < 0) {
            throw new IllegalArgumentException("Input holds " + what + "s in [" + min + ", " + max + "] but the "
                    + table + " of " + name + " has " + size + " rows; use the tokenizer that belongs to this model");
        }
    }

    /** word + position + token type embeddings (int64 ids), LayerNorm, dropout: [batch, seq, hidden]. */
    private NDArray embed(NDArray ids, NDArray types, boolean training) {
        long seq = ids.getShape().get(1);
        NDArray positions = ids.getManager().arange(0, seq, 1, DataType.INT64).reshape(1, seq); // [1, seq]
        NDArray x = lookup(ids, "embeddings.word_embeddings.weight")
                .add(lookup(positions, "embeddings.position_embeddings.weight"))
                .add(lookup(types, "embeddings.token_type_embeddings.weight"));
        return Dropout.apply(embeddingNorm.forward(x), config.hiddenDropout(), training);
    }

    private NDArray lookup(NDArray ids, String table) {
        return Embedding.embedding(ids, parameters.get(table), SparseFormat.DENSE).singletonOrThrow();
    }

    @Override
    public String modelName() {
        return name;
    }

    /** The hub id of a registry model ({@link PretrainedModel#hubName()}), else the name it was created with. */
    @Override
    public String baseModelNameOrPath() {
        return nameOrPath;
    }

    @Override
    public TaskType taskType() {
        return TaskType.FEATURE_EXTRACTION;
    }

    private BertModel nameOrPath(String hubName) {
        this.nameOrPath = hubName;
        return this;
    }

    @Override
    public Map<String, LinearSlot> linearLayers() {
        return slots;
    }

    /** Read through the slots, so a replaced base weight shows up here too. */
    @Override
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> current = new LinkedHashMap<>(parameters);
        for (LinearSlot slot : slots.values()) {
            current.put(slot.name() + ".weight", slot.weight());
        }
        return Collections.unmodifiableMap(current);
    }

    /** An encoder has no head. */
    @Override
    public Set<String> headModules() {
        return Set.of();
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
