package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * A model with named adapters attached to its linear slots: what {@link Peft#wrap} returns.
 *
 * <p>Adapters are keyed by name (default {@code "default"}). A model forward that takes an
 * {@link AdapterSelection} applies the adapter(s) it names, per call and per row, without touching any state here,
 * so one wrapped model serves many tenants at once. The forward without a selection uses the active adapter, set
 * as in peft's {@code set_adapter}: the training convenience. Trainable tensors are the active adapter's
 * ({@link #trainableParameters()}), plus its modules to save.
 *
 * <p>Modules to save that are linear slots (a classification head) are per-adapter copies selected like the
 * adapter, never swapped into the model's tensors. Parameters trained in place (BitFit, full fine-tuning, the linear
 * probe, modules to save outside the linear layers) live in the model's tensors while their adapter is active, so
 * those adapters run only through the active-adapter forward.
 */
public final class PeftModel implements AutoCloseable {

    /** The adapter's config file in a saved adapter directory (peft's name). */
    public static final String CONFIG_FILE = AdapterFiles.CONFIG_FILE;

    public static final String DEFAULT_ADAPTER = "default";
    private static final Logger LOG = Logger.getLogger(PeftModel.class.getName());

    private final AdaptableModel model;
    private final AdapterRegistry registry;
    private final ConfigSelection selection;
    private final Map<String, Adapter> adapters = new LinkedHashMap<>();
    // the adapters with in-place stores, which every switch of the active adapter visits: a server holds 100,000
    // selectable adapters and none of these, and must not pay O(adapters) per add
    private final Map<String, Adapter> withStores = new LinkedHashMap<>();
    private String activeAdapter;
    private boolean disabled;

    /**
     * One named adapter: its config, method, the slots it lives on, its modules to save, and the base
     * parameters it trains in place (a {@link BaseParameterSelector}'s selection; null for slot methods).
     */
    record Adapter(String name, AdapterConfig config, AdapterMethod method, List<LinearSlot> slots,
            ModulesToSave modulesToSave, ModulesToSave baseParameters, HeadCopies heads, boolean trainable) {

        /** Whether the forward with a selection can apply this adapter (nothing of it lives in the model's tensors). */
        boolean selectablePerCall() {
            return modulesToSave == null && baseParameters == null;
        }

        /** This adapter's own copies of slot parameters (its head), empty when none. */
        Map<String, NDArray> headCopies() {
            return heads == null ? Map.of() : heads.tensors();
        }

        /** Every in-place snapshot store of this adapter (modules to save, base parameters), nulls left out. */
        List<ModulesToSave> stores() {
            List<ModulesToSave> stores = new ArrayList<>(2);
            if (modulesToSave != null) {
                stores.add(modulesToSave);
            }
            if (baseParameters != null) {
                stores.add(baseParameters);
            }
            return stores;
        }

        boolean baseCountsAsHead() {
            return config instanceof BaseParameterSelector selector && selector.countsAsHead();
        }
    }

    PeftModel(AdaptableModel model, AdapterRegistry registry) {
        this.model = model;
        this.registry = registry;
        this.selection = new ConfigSelection(model);
    }

    public AdaptableModel model() {
        return model;
    }

    /** Attaches a new adapter computed from the base weights and makes it active. */
    public void addAdapter(String name, AdapterConfig config) {
        attach(name, config, true, slot -> null);
    }

    /**
     * Attaches an adapter; {@code savedState} gives a slot's saved tensors (null: create fresh).
     * Package-private: adapter files use it to restore.
     */
    Adapter attach(String name, AdapterConfig config, boolean trainable,
            java.util.function.Function<LinearSlot, Map<String, NDArray>> savedState) {
        if (adapters.containsKey(name)) {
            throw new IllegalArgumentException("An adapter named '" + name + "' already exists (have "
                    + adapters.keySet() + "); delete it first or choose another name");
        }
        if (AdapterSelection.BASE.equals(name)) {
            throw new IllegalArgumentException("'" + name + "' is reserved: AdapterSelection uses it for the base "
                    + "model; choose another adapter name");
        }
        AdapterMethod method = registry.byId(config.methodId());
        // Original values in every shared tensor, so that layers and new snapshots see the base.
        withStores.values().forEach(other -> other.stores().forEach(store -> store.activate(null)));
        List<LinearSlot> targets = config instanceof BaseParameterSelector ? List.of() : selection.targetSlots(config);
        List<String> notes = new ArrayList<>();
        List<LinearSlot> attached = new ArrayList<>();
        try {
            int index = 0;
            for (LinearSlot slot : model.linearLayers().values()) {
                if (targets.contains(slot)) {
                    LayerContext context = new LayerContext(name, index, notes, trainable);
                    Map<String, NDArray> state = savedState.apply(slot);
                    slot.add(name, state == null ? method.createLayer(config, slot, context)
                            : method.restoreLayer(config, slot, context, state));
                    attached.add(slot);
                }
                index++;
            }
        } catch (RuntimeException e) {
            attached.forEach(slot -> slot.delete(name));
            throw e;
        }
        if (!notes.isEmpty()) {
            LOG.warning("Adapter '" + name + "': " + notes.size() + " layer(s) capped to min(out, in) "
                    + "(sigma0 still uses the configured rank): " + String.join("; ", notes));
        }
        Map<String, NDArray> savedTensors = selection.modulesToSave(config);
        Map<String, NDArray> slotTensors = new LinkedHashMap<>();
        Map<String, NDArray> inPlaceTensors = new LinkedHashMap<>();
        savedTensors.forEach((param, tensor) ->
                (HeadCopies.slotOf(model, param) != null ? slotTensors : inPlaceTensors).put(param, tensor));
        HeadCopies heads = slotTensors.isEmpty() ? null : new HeadCopies(name, slotTensors, model, trainable);
        ModulesToSave saved = inPlaceTensors.isEmpty() ? null : sharedStore(inPlaceTensors);
        if (saved != null) {
            saved.addAdapter(name);
        }
        ModulesToSave base = config instanceof BaseParameterSelector selector
                ? sharedStore(selection.baseParameters(config, selector, savedTensors)) : null;
        if (base != null) {
            base.addAdapter(name);
        }
        Adapter adapter = new Adapter(name, config, method, List.copyOf(attached), saved, base, heads, trainable);
        if (!adapter.selectablePerCall()) {
            model.linearLayers().values().forEach(slot -> slot.markInPlace(name));
        }
        adapters.put(name, adapter);
        if (!adapter.stores().isEmpty()) {
            withStores.put(name, adapter);
        }
        setAdapter(name);
        return adapter;
    }

    /** A store for these tensors: an existing adapter's when it holds exactly the same ones. */
    private ModulesToSave sharedStore(Map<String, NDArray> selected) {
        for (Adapter other : withStores.values()) {
            for (ModulesToSave store : other.stores()) {
                if (store.tensors().keySet().equals(selected.keySet())) {
                    return store;
                }
            }
        }
        return new ModulesToSave(selected);
    }

    /** Makes {@code name} the active adapter (peft's {@code set_adapter}). */
    public void setAdapter(String name) {
        requireAdapter(name);
        for (LinearSlot slot : model.linearLayers().values()) {
            slot.setActive(List.of(name));
        }
        activeAdapter = name;
        applyModulesToSave();
    }

    public String activeAdapter() {
        return activeAdapter;
    }

    public Set<String> adapterNames() {
        return Collections.unmodifiableSet(adapters.keySet());
    }

    /** Base behaviour back: every slot ignores its adapters and saved modules hold their original values. */
    public void disableAdapters() {
        setDisabled(true);
    }

    public void enableAdapters() {
        setDisabled(false);
    }

    private void setDisabled(boolean value) {
        for (LinearSlot slot : model.linearLayers().values()) {
            slot.setAdaptersDisabled(value);
        }
        disabled = value;
        applyModulesToSave();
    }

    private void applyModulesToSave() {
        // First every store back to the originals, then the active adapter's values in: stores of
        // different adapters may overlap (BitFit's biases inside full fine-tuning's everything).
        withStores.values().forEach(adapter -> adapter.stores().forEach(store -> store.activate(null)));
        Adapter active = disabled || activeAdapter == null ? null : adapters.get(activeAdapter);
        if (active != null) {
            active.stores().forEach(store -> store.activate(active.name()));
        }
    }

    /** Removes an adapter and frees its tensors; another adapter becomes active if one is left. */
    public void deleteAdapter(String name) {
        Adapter adapter = requireAdapter(name);
        for (LinearSlot slot : adapter.slots()) {
            slot.delete(name);
        }
        adapter.stores().forEach(store -> store.removeAdapter(name));
        if (adapter.heads() != null) {
            adapter.heads().close();
        }
        model.linearLayers().values().forEach(slot -> slot.forgetInPlace(name));
        adapters.remove(name);
        withStores.remove(name);
        if (name.equals(activeAdapter)) {
            activeAdapter = null;
            if (!adapters.isEmpty()) {
                setAdapter(adapters.keySet().iterator().next());
            }
        }
    }

    Adapter requireAdapter(String name) {
        Adapter adapter = adapters.get(name);
        if (adapter == null) {
            throw new IllegalArgumentException("No adapter named '" + name + "'; this model has " + adapters.keySet());
        }
        return adapter;
    }

    Adapter adapter(String name) {
        return requireAdapter(name);
    }

    /**
     * Tensors that train now, keyed by peft's file names ({@code base_model.model.<path>.loldu_z},
     * {@code base_model.model.classifier.weight}): the active adapter's and its modules to save.
     */
    public Map<String, NDArray> trainableParameters() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.putAll(adapterParameters());
        params.putAll(headParameters());
        return params;
    }

    /** The active adapter's own trainable tensors (what the paper counts). */
    public Map<String, NDArray> adapterParameters() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        Adapter adapter = activeAdapter == null ? null : adapters.get(activeAdapter);
        if (adapter == null || !adapter.trainable() || disabled) {
            return params;
        }
        for (LinearSlot slot : adapter.slots()) {
            slot.get(adapter.name()).trainableParameters()
                    .forEach((key, tensor) -> params.put(fileKey(slot.name(), key), tensor));
        }
        if (adapter.baseParameters() != null && !adapter.baseCountsAsHead()) {
            adapter.baseParameters().tensors().forEach((name, tensor) -> params.put(fileKey(name), tensor));
        }
        return params;
    }

    /**
     * How many floats the active adapter trains (what the paper counts): the sizes of {@link #adapterParameters()},
     * except that a {@link RowSelector}'s parameters count only their trained rows (Textual Inversion's token rows,
     * not the whole table the trainer updates and resets).
     */
    public long adapterParameterCount() {
        Adapter adapter = activeAdapter == null ? null : adapters.get(activeAdapter);
        Map<String, NDArray> params = adapterParameters();
        if (adapter == null || params.isEmpty() || !(adapter.config() instanceof RowSelector rows)
                || adapter.baseCountsAsHead()) {
            return count(params);
        }
        return count(params) - count(adapter.baseParameters().tensors())
                + SelectedRows.count(rows, adapter.baseParameters().tensors());
    }

    /**
     * The active adapter's training hook ({@link TrainingHook#NONE} when its method has none, or when nothing trains
     * now): a fresh one per call, so a trainer asks once per run. Its config updates replace the adapter's config
     * (see {@link #adapterConfig}). An in-place adapter's hook gets the model tensors it trains and their original
     * values ({@link InPlaceMethod#trainingHook(AdapterConfig, Map, Map)}).
     */
    public TrainingHook trainingHook() {
        Adapter adapter = activeAdapter == null ? null : adapters.get(activeAdapter);
        if (adapter == null || !adapter.trainable() || disabled) {
            return TrainingHook.NONE;
        }
        if (adapter.baseParameters() != null && adapter.method() instanceof InPlaceMethod inPlace) {
            return inPlace.trainingHook(adapter.config(), adapter.baseParameters().tensors(),
                    adapter.baseParameters().originals());
        }
        Map<String, AdapterLayer> layers = new LinkedHashMap<>();
        adapter.slots().forEach(slot -> layers.put(slot.name(), slot.get(adapter.name())));
        String name = adapter.name();
        return adapter.method().trainingHook(adapter.config(), Collections.unmodifiableMap(layers),
                updated -> replaceConfig(name, updated));
    }

    /** The config of adapter {@code name} as it is now (a training hook may have recorded fields in it). */
    public AdapterConfig adapterConfig(String name) {
        return requireAdapter(name).config();
    }

    /** A training hook's update: the same method, targets and saved modules, other method fields. */
    private void replaceConfig(String name, AdapterConfig updated) {
        Adapter adapter = requireAdapter(name);
        AdapterConfig current = adapter.config();
        if (updated.getClass() != current.getClass() || !updated.targetModules().equals(current.targetModules())
                || !updated.excludeModules().equals(current.excludeModules())
                || !updated.modulesToSave().equals(current.modulesToSave())) {
            throw new IllegalArgumentException("A training hook of adapter '" + name + "' may change only its method's "
                    + "own fields, found a " + updated.getClass().getSimpleName() + " for " + updated.targetModules()
                    + " where the adapter has a " + current.getClass().getSimpleName() + " for "
                    + current.targetModules() + "; keep the targets and modules to save");
        }
        Adapter replaced = new Adapter(name, updated, adapter.method(), adapter.slots(), adapter.modulesToSave(),
                adapter.baseParameters(), adapter.heads(), adapter.trainable());
        adapters.put(name, replaced);
        if (withStores.containsKey(name)) {
            withStores.put(name, replaced);
        }
    }

    /** The active adapter's modules to save (a head), reported apart from the adapter as the paper does. */
    public Map<String, NDArray> headParameters() {
        Map<String, NDArray> params = new LinkedHashMap<>();
        Adapter adapter = activeAdapter == null ? null : adapters.get(activeAdapter);
        if (adapter == null || !adapter.trainable() || disabled) {
            return params;
        }
        adapter.headCopies().forEach((name, tensor) -> params.put(fileKey(name), tensor));
        if (adapter.modulesToSave() != null) {
            adapter.modulesToSave().tensors().forEach((name, tensor) -> params.put(fileKey(name), tensor));
        }
        if (adapter.baseParameters() != null && adapter.baseCountsAsHead()) {
            adapter.baseParameters().tensors().forEach((name, tensor) -> params.put(fileKey(name), tensor));
        }
        return params;
    }

    static String fileKey(String modulePath, String tensorName) {
        return "base_model.model." + modulePath + "." + tensorName;
    }

    static String fileKey(String parameterName) {
        return "base_model.model." + parameterName;
    }

    /** peft's one-line report, plus the head on its own line when there is one. */
    public String trainableParametersReport() {
        long adapterCount = adapterParameterCount();
        long headCount = count(headParameters());
        Adapter adapter = activeAdapter == null ? null : adapters.get(activeAdapter);
        long inPlace = adapter == null || adapter.baseParameters() == null || adapter.baseCountsAsHead() ? 0
                : adapter.config() instanceof RowSelector rows
                        ? SelectedRows.count(rows, adapter.baseParameters().tensors())
                        : count(adapter.baseParameters().tensors());
        long all = count(model.parameters()) + adapterCount - inPlace; // in-place ones are model parameters already
        String line = String.format(java.util.Locale.ROOT, "trainable params: %,d || all params: %,d || trainable%%: %.4f",
                adapterCount, all, 100.0 * adapterCount / all);
        if (headCount > 0) {
            line += String.format(java.util.Locale.ROOT, "%nmodules_to_save params (head, trained fully, not counted above): %,d",
                    headCount);
        }
        return line;
    }

    public void printTrainableParameters() {
        printTrainableParameters(System.out);
    }

    public void printTrainableParameters(PrintStream out) {
        out.println(trainableParametersReport());
    }

    static long count(Map<String, NDArray> tensors) {
        long total = 0;
        for (NDArray t : tensors.values()) {
            total += t.getShape().size();
        }
        return total;
    }

    /** Folds the active adapter into each slot's weight; forward is then the plain model's cost. */
    public void merge() {
        model.linearLayers().values().forEach(LinearSlot::merge);
    }

    /** Undoes {@link #merge()}: slots go back to the unmerged adapter path. */
    public void unmerge() {
        model.linearLayers().values().forEach(LinearSlot::unmerge);
    }

    /**
     * Writes the active adapter into the base weights and removes all adapters: the returned
     * model is a plain model that behaves as the adapted one did (saved modules keep trained values).
     */
    public AdaptableModel mergeAndUnload() {
        for (LinearSlot slot : model.linearLayers().values()) {
            if (!slot.adapterNames().isEmpty()) {
                NDArray merged = slot.effectiveWeight();
                slot.unload();
                merged.setRequiresGradient(false);
                slot.replaceWeight(merged);
            }
        }
        forgetAdapters(false);
        return model;
    }

    /** Removes all adapters and restores the original model exactly. */
    public AdaptableModel unload() {
        model.linearLayers().values().forEach(LinearSlot::unload);
        forgetAdapters(true);
        return model;
    }

    private void forgetAdapters(boolean restoreSavedModules) {
        for (Adapter adapter : adapters.values()) {
            if (adapter.heads() != null) {
                if (!restoreSavedModules && !disabled && adapter.name().equals(activeAdapter)) {
                    adapter.heads().writeIntoModel(); // the plain model keeps the trained head
                }
                adapter.heads().close();
            }
            for (ModulesToSave store : adapter.stores()) {
                if (restoreSavedModules) {
                    store.restoreOriginal();
                }
                store.tensors().values().forEach(t -> t.setRequiresGradient(false));
            }
        }
        adapters.clear();
        withStores.clear();
        activeAdapter = null;
        disabled = false;
    }

    /** Saves every adapter in peft's layout: {@code default} in {@code dir}, others in {@code dir/<name>}. */
    public void save(java.nio.file.Path dir) throws java.io.IOException {
        save(dir, SaveMode.COMPACT);
    }

    /**
     * Saves every adapter as {@link #save(java.nio.file.Path)} does; each adapter directory is replaced as a whole
     * ({@link dev.peft4j.core.io.AtomicDirectory}), with a manifest of SHA-256 digests checked on load.
     */
    public void save(java.nio.file.Path dir, SaveMode mode) throws java.io.IOException {
        String previous = activeAdapter;
        boolean switched = false;
        for (Adapter adapter : adapters.values()) {
            if (!adapter.stores().isEmpty()) { // in-place values are in the model's tensors only while active
                setAdapter(adapter.name());
                switched = true;
            }
            AdapterFiles.save(this, adapter.name(), DEFAULT_ADAPTER.equals(adapter.name()) ? dir
                    : dir.resolve(adapter.name()), mode);
        }
        if (switched && previous != null) {
            setAdapter(previous);
        }
    }

    /**
     * Loads a saved adapter as {@code name} and makes it active. With {@code trainable} its tensors
     * train again (resuming); without, it is frozen for inference.
     */
    public void loadAdapter(java.nio.file.Path dir, String name, boolean trainable) throws java.io.IOException {
        loadAdapter(dir, name, trainable, LoadOptions.strict());
    }

    /**
     * As {@link #loadAdapter(java.nio.file.Path, String, boolean)}, with {@code options} (e.g.
     * {@link LoadOptions#allowOtherBase()}). Strict checks: the directory's manifest (skipped only for directories
     * saved before manifests existed, which have none), every config field's type and range, every tensor's key,
     * shape, finiteness and magnitude, and the base fingerprints; each failure is an
     * {@link dev.peft4j.core.io.AdapterFormatException} and leaves no adapter attached.
     */
    public void loadAdapter(java.nio.file.Path dir, String name, boolean trainable, LoadOptions options)
            throws java.io.IOException {
        AdapterFiles.load(this, dir, name, trainable, java.util.Objects.requireNonNull(options, "options"));
    }

    /** Loads {@code dir} onto {@code model} as adapter {@code default}, strictly ({@link LoadOptions#strict()}). */
    public static PeftModel load(AdaptableModel model, java.nio.file.Path dir, boolean trainable)
            throws java.io.IOException {
        return load(model, dir, trainable, LoadOptions.strict());
    }

    /**
     * Loads {@code dir} onto {@code model} as adapter {@code default} with {@code options};
     * {@code LoadOptions.strict().withAllowOtherBase(true)} accepts a base whose fingerprints differ from the
     * adapter's, with one warning.
     */
    public static PeftModel load(AdaptableModel model, java.nio.file.Path dir, boolean trainable,
            LoadOptions options) throws java.io.IOException {
        PeftModel peft = Peft.empty(model);
        peft.loadAdapter(dir, DEFAULT_ADAPTER, trainable, options);
        return peft;
    }

    /** Writes the active adapter as a standard PEFT LoRA adapter against the unmodified base. */
    public void exportLora(java.nio.file.Path dir) throws java.io.IOException {
        AdapterFiles.exportLora(this, activeAdapter, dir);
    }

    @Override
    public void close() {
        model.close();
    }
}
