package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import dev.peft4j.core.nd.Tensors;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parameters an adapter trains in the model's own tensors: the base parameters of BitFit, full fine-tuning and the
 * linear probe, and modules to save that are not linear slots (a head that is a slot gets {@link HeadCopies}
 * instead).
 *
 * <p>The model's own tensors train in place, so its forward needs no change; this class keeps the
 * original values and one copy per adapter, and swaps values in when the active adapter changes.
 * Disabling adapters restores the original values. Because the values live in shared tensors, such adapters run only
 * through the active-adapter forward, never through a per-call {@link AdapterSelection}.
 */
final class ModulesToSave {

    private final Map<String, NDArray> live; // param name -> the model's tensor
    private final Map<String, float[]> original = new LinkedHashMap<>();
    private final Map<String, Map<String, float[]>> perAdapter = new HashMap<>();
    private String owner; // adapter whose values are in the live tensors; null = original

    ModulesToSave(Map<String, NDArray> live) {
        this.live = live;
        live.forEach((name, tensor) -> original.put(name, tensor.toFloatArray()));
    }

    Map<String, NDArray> tensors() {
        return live;
    }

    /** The values the tensors had before any adapter trained them, by parameter name (read, never write them). */
    Map<String, float[]> originals() {
        return java.util.Collections.unmodifiableMap(original);
    }

    /** Registers an adapter's copy, starting from the original values. */
    void addAdapter(String adapterName) {
        Map<String, float[]> copy = new LinkedHashMap<>();
        original.forEach((name, values) -> copy.put(name, values.clone()));
        perAdapter.put(adapterName, copy);
    }

    void removeAdapter(String adapterName) {
        if (adapterName.equals(owner)) {
            activate(null);
        }
        perAdapter.remove(adapterName);
    }

    boolean covers(String adapterName) {
        return perAdapter.containsKey(adapterName);
    }

    /** Puts the values of {@code adapterName} (null: the originals) into the model's tensors. */
    void activate(String adapterName) {
        String target = adapterName != null && perAdapter.containsKey(adapterName) ? adapterName : null;
        if (java.util.Objects.equals(target, owner)) {
            setTrainable(target != null);
            return;
        }
        if (owner != null) {
            Map<String, float[]> saved = perAdapter.get(owner);
            live.forEach((name, tensor) -> saved.put(name, tensor.toFloatArray()));
        }
        Map<String, float[]> source = target == null ? original : perAdapter.get(target);
        live.forEach((name, tensor) -> Tensors.overwrite(tensor, source.get(name)));
        owner = target;
        setTrainable(target != null);
    }

    /** Overwrites the adapter's copy of one tensor (loading a saved adapter). */
    void load(String adapterName, String name, float[] values) {
        perAdapter.get(adapterName).put(name, values.clone());
        if (adapterName.equals(owner)) {
            Tensors.overwrite(live.get(name), values);
        }
    }

    /** Restores the original values and forgets all adapters' copies. */
    void restoreOriginal() {
        activate(null);
        perAdapter.clear();
    }

    private void setTrainable(boolean trainable) {
        live.values().forEach(t -> t.setRequiresGradient(trainable));
    }
}
