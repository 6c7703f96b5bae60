package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A PEFT method as a service: its id, its config's JSON form and a factory for per-slot layers.
 * Implementations are listed in {@code META-INF/services/dev.peft4j.core.adapter.AdapterMethod}
 * and found by {@link AdapterRegistry}.
 */
public interface AdapterMethod {

    /** Registry id and CLI name, e.g. {@code loldu}. */
    String id();

    /** {@code peft_type} in adapter_config.json, e.g. {@code LOLDU}. */
    String peftType();

    /** Prefix of this method's tensor names in adapter files, e.g. {@code loldu_}. */
    String prefix();

    /** Rebuilds a config from the fields of adapter_config.json (peft's spelling). */
    AdapterConfig configFromJson(Map<String, Object> json);

    /**
     * Whether the strict loader exempts this saved tensor (a key of {@link #stateShapes}) from its magnitude bound
     * ({@code 1e4 * max(1, max |W|)}, see {@code AdapterFiles}). Only for frozen factors whose size the base does not
     * bound; they are still checked to be finite.
     */
    default boolean exemptFromMagnitudeBound(String key) {
        return false;
    }

    /** Creates this method's layer for one targeted slot. */
    AdapterLayer createLayer(AdapterConfig config, LinearSlot slot, LayerContext context);

    /** The shape of every tensor this method saves for {@code slot}, keyed by file name. */
    Map<String, Shape> stateShapes(AdapterConfig config, LinearSlot slot, boolean portable);

    /**
     * The hook this method runs in the training loop of one adapter (AdaLoRA's rank allocator); none by default.
     *
     * @param config the adapter's config
     * @param layers the adapter's layers, keyed by module path, in the model's order
     * @param configUpdate replaces the adapter's config with one recording what training decided (AdaLoRA's
     *     {@code rank_pattern}, as peft's training writes it into its config), so that a save writes it; only the
     *     method's own fields may differ
     */
    default TrainingHook trainingHook(AdapterConfig config, Map<String, AdapterLayer> layers,
            Consumer<AdapterConfig> configUpdate) {
        return TrainingHook.NONE;
    }

    /**
     * Rebuilds a layer from saved tensors (already checked against {@link #stateShapes}). The
     * default creates a fresh layer and copies the state in; methods whose saved state includes
     * their factors override it to skip recomputing them.
     */
    default AdapterLayer restoreLayer(AdapterConfig config, LinearSlot slot, LayerContext context,
            Map<String, NDArray> state) {
        AdapterLayer layer = createLayer(config, slot, context);
        layer.loadState(state);
        return layer;
    }
}
