package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.nd.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One adapter's own copies of the linear-slot parameters it trains fully (its modules to save, e.g. the
 * {@code classifier} head), installed on the slots as {@link SlotHead}s.
 *
 * <p>Why copies instead of swapping values into the model's tensors: a forward then picks the head by its
 * {@link AdapterSelection} like any adapter tensor, so requests for different adapters run at once and the base
 * selection still sees the original head; the model's own tensors are never written (until
 * {@link #writeIntoModel()} for {@code mergeAndUnload}). A head is small, so one copy per adapter is cheap.
 */
final class HeadCopies implements AutoCloseable {

    private final String adapterName;
    private final NDManager manager;
    private final Map<String, NDArray> live; // parameter name -> the model's tensor
    private final Map<String, NDArray> copies = new LinkedHashMap<>(); // parameter name -> this adapter's tensor
    private final Map<String, LinearSlot> slots = new LinkedHashMap<>(); // slot name -> slot

    /**
     * Copies {@code live} (every entry the weight or bias of a slot of {@code model}) for {@code adapterName} and
     * installs the copies on their slots; they train when {@code trainable}.
     */
    HeadCopies(String adapterName, Map<String, NDArray> live, AdaptableModel model, boolean trainable) {
        this.adapterName = adapterName;
        this.live = live;
        this.manager = model.manager().newSubManager();
        Map<String, NDArray[]> perSlot = new LinkedHashMap<>();
        live.forEach((name, tensor) -> {
            LinearSlot slot = slotOf(model, name);
            NDArray copy = tensor.duplicate();
            copy.attach(manager);
            copy.setRequiresGradient(trainable);
            copies.put(name, copy);
            slots.put(slot.name(), slot);
            perSlot.computeIfAbsent(slot.name(), k -> new NDArray[2])[name.endsWith(".weight") ? 0 : 1] = copy;
        });
        perSlot.forEach((slotName, pair) -> slots.get(slotName).addHead(adapterName, new SlotHead(pair[0], pair[1])));
    }

    /** The slot whose weight or bias {@code parameterName} is, or null. */
    static LinearSlot slotOf(AdaptableModel model, String parameterName) {
        int dot = parameterName.lastIndexOf('.');
        if (dot < 0) {
            return null;
        }
        LinearSlot slot = model.linearLayers().get(parameterName.substring(0, dot));
        if (slot == null) {
            return null;
        }
        String tensor = parameterName.substring(dot + 1);
        return "weight".equals(tensor) || "bias".equals(tensor) && slot.bias() != null ? slot : null;
    }

    /** This adapter's tensors by model parameter name (what trains and what is saved). */
    Map<String, NDArray> tensors() {
        return copies;
    }

    /** Overwrites one copy with saved values (loading an adapter). */
    void load(String parameterName, float[] values) {
        Tensors.overwrite(copies.get(parameterName), values);
    }

    /** Puts this adapter's values into the model's own tensors: {@code mergeAndUnload} keeps the trained head. */
    void writeIntoModel() {
        copies.forEach((name, copy) -> Tensors.overwrite(live.get(name), copy.toFloatArray()));
        slots.values().forEach(LinearSlot::forgetFingerprint);
    }

    /** Takes the copies off their slots and frees them. */
    @Override
    public void close() {
        slots.values().forEach(slot -> slot.removeHead(adapterName));
        manager.close();
    }
}
