package dev.peft4j.models.dit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import dev.peft4j.core.adapter.AdaptableModel;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LinearSlot;
import dev.peft4j.models.nn.LayerNorm;
import dev.peft4j.models.nn.LayerScope;
import dev.peft4j.models.nn.MultiHeadAttention;
import dev.peft4j.models.nn.TwoLayerFeedForward;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A class-conditional diffusion transformer predicting the noise in a noisy image (DiT's {@code models.py}, Peebles
 * and Xie, <a href="https://arxiv.org/abs/2212.09748">paper</a>): flattened patches through the slot
 * {@code x_embedder.proj} plus fixed 2-D sin-cos positions; the conditioning {@code c} = timestep embedding
 * (sinusoidal features through {@code t_embedder.mlp.0}, SiLU, {@code t_embedder.mlp.2}) + class embedding (a table
 * with one extra row, the null class of classifier-free guidance); {@link DitBlock}s with adaLN-Zero; a final
 * adaLN ({@code final_layer.adaLN_modulation.1}) and the head slot {@code final_layer.linear}, unpatchified back to
 * the image. Every projection is a {@link LinearSlot}; the attention ones are
 * {@code blocks.N.attn.to_q|to_k|to_v|to_out.0} (diffusers' names: target {@code to_q, to_k, to_v, to_out.0} as
 * diffusers' LoRA scripts do; a bare {@code to_out} names no linear layer, by peft's suffix rule), the MLP {@code blocks.N.mlp.fc1|fc2}
 * and the modulation {@code blocks.N.adaLN_modulation.1}. All parameters start frozen.
 *
 * <p>Differences from DiT, none of which matters for a model trained here: the noise alone is predicted (no learned
 * variance, diffusers' {@code epsilon} prediction type), the MLP uses the exact (erf) GELU instead of the tanh
 * approximation, and label dropout is the objective's job, not the model's. Activations are attached to the
 * manager of the input, as {@code VitModel}'s.
 */
public final class DitModel implements AdaptableModel {

    private final DitConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters;
    private final Map<String, LinearSlot> slots;
    private final NDArray positions; // [1, patches, hidden], fixed
    private final LayerNorm norm; // no affine parameters: ones and zeros, never trained
    private final List<DitBlock> blocks;
    private String nameOrPath;

    private DitModel(DitConfig config, NDManager manager, Map<String, NDArray> parameters) {
        this.config = config;
        this.manager = manager;
        this.parameters = Collections.unmodifiableMap(parameters);
        Map<String, LinearSlot> linear = new LinkedHashMap<>();
        for (String module : DitWeights.linearModules(config)) {
            linear.put(module, new LinearSlot(module, parameters.get(module + ".weight"),
                    parameters.get(module + ".bias")));
        }
        this.slots = Collections.unmodifiableMap(linear);
        int side = config.sampleSize() / config.patchSize();
        this.positions = manager.create(DitEmbeddings.positions(side, config.hiddenSize()),
                new Shape(1, config.numPatches(), config.hiddenSize()));
        this.norm = new LayerNorm(manager.ones(new Shape(config.hiddenSize())),
                manager.zeros(new Shape(config.hiddenSize())), DitConfig.NORM_EPS);
        List<DitBlock> built = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            String p = "blocks." + i + ".";
            MultiHeadAttention attention = MultiHeadAttention.encoder(linear.get(p + "attn.to_q"),
                    linear.get(p + "attn.to_k"), linear.get(p + "attn.to_v"), linear.get(p + "attn.to_out.0"),
                    config.numHeads(), config.headSize(), 0f);
            built.add(new DitBlock(norm, attention, TwoLayerFeedForward.gelu(linear.get(p + "mlp.fc1"),
                    linear.get(p + "mlp.fc2")), linear.get(p + "adaLN_modulation.1")));
        }
        this.blocks = List.copyOf(built);
    }

    /** A DiT with DiT's initialisation from a seed: it predicts exactly zero noise until trained (adaLN-Zero). */
    public static DitModel random(DitConfig config, long seed, NDManager parent) {
        NDManager manager = parent.newSubManager();
        try {
            return new DitModel(config, manager, DitWeights.random(config, seed, manager));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The unit tests' model ({@link DitConfig#tiny()}). */
    public static DitModel randomTiny(long seed, NDManager parent) {
        return random(DitConfig.tiny(), seed, parent);
    }

    /** Loads {@code dir/config.json} and {@code dir/model.safetensors}; every tensor is checked. */
    public static DitModel load(Path dir, NDManager parent) throws IOException {
        DitConfig config = DitConfig.load(dir);
        Path file = dir.resolve(DitWeights.WEIGHTS_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IOException("No " + DitWeights.WEIGHTS_FILE + " in " + dir + ": expected a DiT saved by "
                    + "DitModel.save");
        }
        NDManager manager = parent.newSubManager();
        try {
            return new DitModel(config, manager, DitWeights.load(file, config, manager))
                    .identifiedAs(dir.toAbsolutePath().normalize().toString());
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Writes {@code config.json} and {@code model.safetensors} (every parameter, fp32) into {@code dir}, atomically
     * per file. Saves the base weights: merge or unload adapters first.
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        DitWeights.save(parameters(), dir.resolve(DitWeights.WEIGHTS_FILE));
        config.save(dir);
    }

    public DitConfig config() {
        return config;
    }

    /**
     * The predicted noise [batch, channels, size, size], through the slots' active adapters.
     *
     * @param noisy [batch, channels, size, size] or [batch, channels * size * size]
     * @param timesteps [batch], integer or float diffusion steps
     * @param labels [batch] of classes in [0, numClasses], numClasses being the null class
     */
    public NDArray forward(NDArray noisy, NDArray timesteps, NDArray labels) {
        return predict(noisy, timesteps, labels, null);
    }

    /** {@link #forward(NDArray, NDArray, NDArray)} under an explicit adapter choice; reads no active-adapter state. */
    public NDArray forward(NDArray noisy, NDArray timesteps, NDArray labels, AdapterSelection selection) {
        Objects.requireNonNull(selection, "selection (use the forward without one for the active adapter)");
        selection.requireLoadedIn(this).requireRows(noisy.getShape().get(0), modelName());
        return predict(noisy, timesteps, labels, selection);
    }

    private NDArray predict(NDArray noisy, NDArray timesteps, NDArray labels, AdapterSelection selection) {
        long batch = noisy.getShape().get(0);
        requireBatch("timesteps", timesteps, batch);
        requireBatch("labels", labels, batch);
        NDArray x = slots.get(DitWeights.PATCH).forward(patches(noisy), selection).add(positions); // [b, T, h]
        NDArray condition = timestepEmbedding(timesteps, selection).add(labelEmbedding(labels)); // [b, h]
        NDArray siluCondition = condition.mul(Activation.sigmoid(condition));
        for (DitBlock block : blocks) {
            // each block's intermediates freed as it returns (LayerScope); the condition lives on
            x = LayerScope.freeing(x, in -> block.forward(in, siluCondition, selection));
        }
        NDList shiftScale = slots.get(DitWeights.FINAL_MODULATION).forward(siluCondition, selection).split(2, 1);
        NDArray out = slots.get(DitWeights.HEAD).forward(DitBlock.modulate(norm.forward(x), shiftScale.get(0),
                shiftScale.get(1)), selection); // [b, T, p * p * c]
        return unpatchify(out);
    }

    private NDArray timestepEmbedding(NDArray timesteps, AdapterSelection selection) {
        NDArray hidden = slots.get(DitWeights.TIME_IN).forward(
                DitEmbeddings.timestepFeatures(timesteps, config.frequencyEmbeddingSize()), selection);
        return slots.get(DitWeights.TIME_OUT).forward(hidden.mul(Activation.sigmoid(hidden)), selection);
    }

    /** A row of the table per label, as a one-hot product so that the table gets its gradient under autograd. */
    private NDArray labelEmbedding(NDArray labels) {
        int rows = config.numClasses() + 1;
        for (long label : labels.toType(DataType.INT64, false).toLongArray()) {
            if (label < 0 || label >= rows) {
                throw new IllegalArgumentException("Label " + label + " is outside [0, " + config.numClasses()
                        + "]: this DiT has " + config.numClasses() + " classes and the null class "
                        + config.nullClass());
            }
        }
        return labels.toType(DataType.INT32, false).oneHot(rows).matMul(parameters.get(DitWeights.LABELS));
    }

    private static void requireBatch(String what, NDArray tensor, long batch) {
        if (tensor.getShape().dimension() != 1 || tensor.getShape().get(0) != batch) {
            throw new IllegalArgumentException(what + " must be [" + batch + "], one per image, found shape "
                    + tensor.getShape());
        }
    }

    /** [b, C, S, S] or [b, C*S*S] -> [b, patches, C*P*P], patches row by row, each in (C, P, P) order. */
    NDArray patches(NDArray images) {
        long batch = images.getShape().get(0);
        int c = config.inChannels();
        int s = config.sampleSize();
        if (!images.getShape().equals(new Shape(batch, (long) c * s * s))
                && !images.getShape().equals(new Shape(batch, c, s, s))) {
            throw new IllegalArgumentException("Images must be [batch, " + c + ", " + s + ", " + s + "] or [batch, "
                    + c * s * s + "] for this DiT, found shape " + images.getShape() + "; resize or pad to " + s
                    + " x " + s + " pixels");
        }
        int p = config.patchSize();
        int side = s / p;
        return images.toType(DataType.FLOAT32, false).reshape(batch, c, side, p, side, p)
                .transpose(0, 2, 4, 1, 3, 5).reshape(batch, (long) side * side, config.patchDim());
    }

    /** DiT's {@code unpatchify}: [b, T, P*P*C] with each patch in (P, P, C) order -> [b, C, S, S]. */
    private NDArray unpatchify(NDArray tokens) {
        long batch = tokens.getShape().get(0);
        int c = config.inChannels();
        int p = config.patchSize();
        int side = config.sampleSize() / p;
        return tokens.reshape(batch, side, side, p, p, c).transpose(0, 5, 1, 3, 2, 4)
                .reshape(batch, c, config.sampleSize(), config.sampleSize());
    }

    /** The label that stands for "no class" (classifier-free guidance's unconditional half). */
    public int nullClass() {
        return config.nullClass();
    }

    @Override
    public String modelName() {
        return "DitModel";
    }

    /** The directory it was loaded from; the model's name for a random model. */
    @Override
    public String baseModelNameOrPath() {
        return nameOrPath == null ? modelName() : nameOrPath;
    }

    DitModel identifiedAs(String source) {
        this.nameOrPath = source;
        return this;
    }

    /** Patch and timestep projections, the blocks' linear layers, the final modulation, then the head. */
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

    /** The output layer {@code final_layer.linear}: skipped by {@code all-linear}, as peft skips an output layer. */
    @Override
    public Set<String> headModules() {
        return Set.of(DitWeights.HEAD);
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
