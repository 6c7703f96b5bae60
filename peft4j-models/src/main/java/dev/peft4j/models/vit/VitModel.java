package dev.peft4j.models.vit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.adapter.AdaptableModel;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.models.nn.Dropout;
import dev.peft4j.models.nn.LayerNorm;
import dev.peft4j.models.nn.LayerScope;
import dev.peft4j.models.nn.TransformerBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

/**
 * A Vision Transformer classifier (Hugging Face's {@code ViTForImageClassification}, without the {@code vit.}
 * prefix): flattened patches through the linear slot {@code embeddings.patch_embeddings.projection} (a
 * stride-patch convolution is exactly that), a class token, learned position embeddings, pre-LayerNorm blocks,
 * a final LayerNorm and the head slot {@code classifier} on the class token. Every linear layer is a
 * {@link LinearSlot}: {@code encoder.layer.N.attention.attention.query|key|value},
 * {@code encoder.layer.N.attention.output.dense}, {@code encoder.layer.N.intermediate.dense},
 * {@code encoder.layer.N.output.dense}; so {@code targetModules("query", "value")} and {@code all-linear} target
 * it exactly as they target the text encoder. All parameters start frozen.
 *
 * <p>The model owns a sub-manager of the one it is created with; the activations of {@link #forward} are
 * attached to the manager of the input, so a caller that opens one manager per batch frees each step's memory
 * when it closes it.
 */
public final class VitModel implements AdaptableModel {

    private final VitConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private String nameOrPath;
    private final Map<String, LinearSlot> slots;
    private final LinearSlot patchEmbedding;
    private final LinearSlot head;
    private final LayerNorm finalNorm;
    private final List<TransformerBlock> layers;

    private VitModel(VitConfig config, NDManager manager, Map<String, NDArray> parameters) {
        this.config = config;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
        Map<String, LinearSlot> linear = new LinkedHashMap<>();
        this.patchEmbedding = slot(VitWeights.PATCH, parameters, linear);
        List<TransformerBlock> built = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            String prefix = "encoder.layer." + i + ".";
            for (String module : VitWeights.LAYER_LINEARS) {
                slot(prefix + module, parameters, linear);
            }
            built.add(VitLayer.create(config, prefix, linear, parameters));
        }
        this.head = slot(VitWeights.HEAD, parameters, linear);
        this.slots = Collections.unmodifiableMap(linear);
        this.layers = List.copyOf(built);
        this.finalNorm = LayerNorm.fromParameters(parameters, "layernorm", config.layerNormEps());
    }

    private static LinearSlot slot(String path, Map<String, NDArray> params, Map<String, LinearSlot> into) {
        LinearSlot slot = new LinearSlot(path, params.get(path + ".weight"), params.get(path + ".bias"));
        into.put(path, slot);
        return slot;
    }

    /** A randomly initialised ViT (Hugging Face's init: truncated N(0, 0.02), zero biases) from a seed. */
    public static VitModel random(VitConfig config, long seed, NDManager parent) {
        NDManager manager = parent.newSubManager();
        try {
            return new VitModel(config, manager, VitWeights.random(config, seed, manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The unit tests' model ({@link VitConfig#tiny()}). */
    public static VitModel randomTiny(long seed, NDManager parent) {
        return random(VitConfig.tiny(), seed, parent);
    }

    /** Loads {@code dir/config.json} and {@code dir/model.safetensors}, head included; every tensor is checked. */
    public static VitModel load(Path dir, NDManager parent) throws IOException {
        VitConfig config = VitConfig.load(dir);
        NDManager manager = parent.newSubManager();
        try {
            return new VitModel(config, manager, VitWeights.load(weightsFile(dir), config, Set.of(), manager))
                    .identifiedAs(dir.toAbsolutePath().normalize().toString());
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Loads the backbone from {@code dir} and puts a fresh head for {@code numLabels} classes on it (truncated
     * N(0, 0.02) from {@code seed}, zero bias): the starting point of transfer to a new task. The saved head is
     * not read.
     */
    public static VitModel loadWithNewHead(Path dir, int numLabels, long seed, NDManager parent) throws IOException {
        VitConfig config = VitConfig.load(dir).withNumLabels(numLabels);
        NDManager manager = parent.newSubManager();
        try {
            Map<String, NDArray> params = VitWeights.load(weightsFile(dir), config,
                    Set.of(VitWeights.HEAD + ".weight", VitWeights.HEAD + ".bias"), manager);
            Random random = new Random(seed);
            for (String name : List.of(VitWeights.HEAD + ".weight", VitWeights.HEAD + ".bias")) {
                params.put(name, VitWeights.initial(name, new Shape(VitWeights.shapes(config).get(name)), random,
                        manager));
            }
            return new VitModel(config, manager, params).identifiedAs(dir.toAbsolutePath().normalize().toString());
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static Path weightsFile(Path dir) throws IOException {
        Path file = dir.resolve(VitWeights.WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("No " + VitWeights.WEIGHTS_FILE + " in " + dir + ": expected a ViT saved by "
                    + "VitModel.save or 'peft4j pretrain vit -o DIR'");
        }
        return file;
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} (every parameter, fp32, Hugging Face names) into
     * {@code dir}, atomically per file. Saves the base weights: merge or unload adapters first.
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        VitWeights.save(parameters(), dir.resolve(VitWeights.WEIGHTS_FILE));
        config.save(dir);
    }

    public VitConfig config() {
        return config;
    }

    /**
     * Logits [batch, numLabels].
     *
     * @param images [batch, channels * size * size] or [batch, channels, size, size], float, normalised
     * @param training applies dropout when true
     */
    public NDArray forward(NDArray images, boolean training) {
        return head.forward(classToken(images, training, null), (AdapterSelection) null);
    }

    /**
     * Logits [batch, numLabels] under an explicit adapter choice (one for the batch, one per row, or the base), each
     * row through its adapter's layers and its adapter's copy of the head ({@code modulesToSave("classifier")}; the
     * base uses the model's own head). Reads and writes no active-adapter state, so calls with different selections
     * may run concurrently.
     */
    public NDArray forward(NDArray images, boolean training, AdapterSelection selection) {
        requireSelection(selection, images);
        return head.forward(classToken(images, training, selection), selection);
    }

    /** The final LayerNorm's class-token vector [batch, hidden]: what the head reads. */
    public NDArray classToken(NDArray images, boolean training) {
        return classToken(images, training, null);
    }

    /** {@link #classToken(NDArray, boolean)} under an explicit adapter choice, as {@link #forward(NDArray, boolean,
     * AdapterSelection)}. */
    public NDArray classToken(NDArray images, boolean training, AdapterSelection selection) {
        if (selection != null) {
            requireSelection(selection, images);
        }
        NDArray x = embed(patches(images), training, selection);
        for (TransformerBlock layer : layers) {
            // every patch sees every patch: no mask; each layer's intermediates freed as it returns (LayerScope)
            x = LayerScope.freeing(x, in -> layer.forward(in, null, training, selection));
        }
        return finalNorm.forward(x).get(new NDIndex(":, 0, :"));
    }

    /** [batch, C*S*S] or [batch, C, S, S] -> [batch, patches, C*P*P], patches row by row, each in (C, P, P) order. */
    NDArray patches(NDArray images) {
        long batch = images.getShape().get(0);
        int c = config.numChannels();
        int s = config.imageSize();
        Shape flat = new Shape(batch, (long) c * s * s);
        Shape square = new Shape(batch, c, s, s);
        if (!images.getShape().equals(flat) && !images.getShape().equals(square)) {
            throw new IllegalArgumentException("Images must be [batch, " + c * s * s + "] or [batch, " + c + ", " + s
                    + ", " + s + "] for this ViT, found shape " + images.getShape() + "; resize or pad to " + s + " x "
                    + s + " pixels");
        }
        int p = config.patchSize();
        int side = s / p;
        return images.toType(DataType.FLOAT32, false).reshape(batch, c, side, p, side, p)
                .transpose(0, 2, 4, 1, 3, 5).reshape(batch, (long) side * side, config.patchDim());
    }

    private void requireSelection(AdapterSelection selection, NDArray images) {
        Objects.requireNonNull(selection, "selection (use the forward without one for the active adapter)");
        selection.requireLoadedIn(this).requireRows(images.getShape().get(0), modelName());
    }

    /** Patch projection, class token in front, position embeddings, dropout: [batch, patches + 1, hidden]. */
    private NDArray embed(NDArray patches, boolean training, AdapterSelection selection) {
        NDArray tokens = patchEmbedding.forward(patches, selection); // [batch, patches, hidden]
        // zerosLike keeps the broadcast class token on the batch's manager, not the model's
        NDArray cls = tokens.get(new NDIndex(":, :1, :")).zerosLike().add(parameters.get(VitWeights.CLS_TOKEN));
        NDArray x = NDArrays.concat(new NDList(cls, tokens), 1).add(parameters.get(VitWeights.POSITIONS));
        return Dropout.apply(x, config.hiddenDropout(), training);
    }

    public int numLabels() {
        return config.numLabels();
    }

    /** The head slot {@code classifier} [numLabels, hidden]. */
    public LinearSlot head() {
        return head;
    }

    @Override
    public String modelName() {
        return "VitModel";
    }

    /** The directory it was loaded from, or the id of the checkpoint peft4j ships; null for a random model. */
    @Override
    public String baseModelNameOrPath() {
        return nameOrPath == null ? modelName() : nameOrPath;
    }

    /** Names the model's source for adapter files (the loaders call it; a shipped checkpoint names its id). */
    VitModel identifiedAs(String source) {
        this.nameOrPath = source;
        return this;
    }

    /** Patch projection, the blocks' linear layers, then {@code classifier}. */
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

    @Override
    public Set<String> headModules() {
        return Set.of(VitWeights.HEAD);
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
