package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.core.Linear;
import dev.peft4j.core.precision.Bf16Kernels;
import dev.peft4j.core.precision.Precision;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A linear layer {@code y = W x + b} that can host named adapters, like peft's {@code lora_A[name]}.
 *
 * <p>Every linear layer of a peft4j model is a slot, so attaching an adapter never swaps modules.
 * The base weight is kept as loaded ([m, n] = [out, in], PyTorch layout) and stays frozen unless a
 * method (full fine-tuning) asks otherwise. With no active adapter the slot is a plain linear layer.
 *
 * <p>Two ways to choose the adapter: {@link #forward(NDArray, AdapterSelection)} takes it per call and touches no
 * state of the slot, so concurrent calls with different selections are safe; {@link #forward(NDArray)} uses the
 * active adapters set by {@link #setActive} (the training convenience of {@link PeftModel#setAdapter}). Adding,
 * deleting or activating adapters while forwards run is not supported.
 */
public final class LinearSlot implements AutoCloseable {

    private final String name;
    private NDArray weight; // [m, n], the original base weight, exactly as loaded
    private String fingerprint; // SHA-256 of weight while nothing of peft4j has written into it, see baseFingerprint
    private float magnitudeBound = Float.NaN; // AdapterFiles.magnitudeBound(weight), cached as the fingerprint
    private final NDArray bias; // [m] or null
    private final Map<String, AdapterLayer> adapters = new LinkedHashMap<>();
    private final Map<String, SlotHead> heads = new LinkedHashMap<>(); // per-adapter copies of weight/bias
    private final Set<String> inPlaceAdapters = new java.util.TreeSet<>(); // selectable only through setActive
    private final List<String> active = new ArrayList<>();
    private boolean adaptersDisabled;
    private String mergedAdapter; // name of the adapter folded into mergedWeight, or null
    private NDArray mergedWeight;
    private Precision precision = Precision.defaultForNewModels();
    private NDArray weightBf16; // BF16: the frozen base weight's bf16 copy, made on first use, dropped with the cache
    private NDArray mergedBf16; // BF16: mergedWeight's bf16 copy

    public LinearSlot(String name, NDArray weight, NDArray bias) {
        if (weight.getShape().dimension() != 2) {
            throw new IllegalArgumentException("Linear layer " + name + " needs a 2-D weight [out, in], found shape "
                    + weight.getShape());
        }
        if (bias != null && bias.getShape().size() != weight.getShape().get(0)) {
            throw new IllegalArgumentException("Linear layer " + name + ": bias has " + bias.getShape().size()
                    + " entries but the weight has " + weight.getShape().get(0) + " output rows");
        }
        this.name = name;
        this.weight = weight;
        this.bias = bias;
    }

    /** Hugging Face module path, e.g. {@code encoder.layer.0.attention.self.query}. */
    public String name() {
        return name;
    }

    public long outFeatures() {
        return weight.getShape().get(0);
    }

    public long inFeatures() {
        return weight.getShape().get(1);
    }

    /** The original base weight [m, n]; never modified by adapters (merging keeps a separate copy). */
    public NDArray weight() {
        return weight;
    }

    /** Replaces the base weight (same shape), e.g. to load new values; adapters must be absent. */
    public void replaceWeight(NDArray newWeight) {
        if (!adapters.isEmpty()) {
            throw new IllegalStateException("Cannot replace the base weight of " + name + " while adapters "
                    + adapters.keySet() + " are attached; unload them first");
        }
        if (!newWeight.getShape().equals(weight.getShape())) {
            throw new IllegalArgumentException("Weight for " + name + " must have shape " + weight.getShape()
                    + ", found " + newWeight.getShape());
        }
        weight = newWeight;
        forgetFingerprint();
    }

    /**
     * The SHA-256 of the base weight that adapter files record ({@link AdapterFiles#fingerprint}). Cached: hashing
     * every base weight on every adapter load made each install on a server stall all tenants' forwards for
     * 0.15-0.4 s (MiniLM, measured by the load test) and a restart with N adapters take N times that. peft4j writes
     * into a base weight only through {@link #replaceWeight}, in-place adapters (which train the model's own tensors:
     * while one is attached the weight is hashed afresh every time) and head copies written into the model on unload;
     * each of them drops the cache.
     */
    String baseFingerprint() {
        if (!inPlaceAdapters.isEmpty()) {
            return AdapterFiles.fingerprint(weight);
        }
        if (fingerprint == null) {
            fingerprint = AdapterFiles.fingerprint(weight);
        }
        return fingerprint;
    }

    /** The strict load's bound on adapter values for this slot, cached and dropped with the fingerprint. */
    float baseMagnitudeBound() {
        if (!inPlaceAdapters.isEmpty()) {
            return AdapterFiles.magnitudeBound(weight);
        }
        if (Float.isNaN(magnitudeBound)) {
            magnitudeBound = AdapterFiles.magnitudeBound(weight);
        }
        return magnitudeBound;
    }

    /**
     * Drops the cached {@link #baseFingerprint()}, bound and bf16 copy (the weight's values may have changed).
     */
    void forgetFingerprint() {
        fingerprint = null;
        magnitudeBound = Float.NaN;
        dropBf16Copies();
    }

    /** The precision of this slot's base products ({@link Precision}); fp32 unless set. */
    public Precision precision() {
        return precision;
    }

    /**
     * Multiplies the base (and a merged) weight in {@code precision} from now on. The fp32 weight stays as loaded;
     * in bf16 a frozen weight gets a bf16 copy (half its size) on first use, a weight that trains in place (full
     * fine-tuning) is cast per call so that its gradient reaches the fp32 weight.
     */
    public synchronized void setPrecision(Precision precision) {
        this.precision = Objects.requireNonNull(precision, "precision");
        dropBf16Copies();
    }

    private synchronized void dropBf16Copies() {
        if (weightBf16 != null) {
            weightBf16.close();
            weightBf16 = null;
        }
        if (mergedBf16 != null) {
            mergedBf16.close();
            mergedBf16 = null;
        }
    }

    /** {@code x w^T + b} in this slot's precision; {@code w} is the base weight, the merged one or a head copy. */
    NDArray baseLinear(NDArray x, NDArray w, NDArray b) {
        if (precision == Precision.FP32) {
            return linear(x, w, b);
        }
        return Bf16Kernels.linear(x, bf16Operand(w), b);
    }

    /** The bf16 copy of a frozen base or merged weight (made once, under the lock: forwards may run in parallel). */
    private synchronized NDArray bf16Operand(NDArray w) {
        if (w.hasGradient() || !inPlaceAdapters.isEmpty()) {
            return w; // trains (or may have been written) in place: cast per call, the gradient flows to w
        }
        if (w == weight) {
            if (weightBf16 == null) {
                weightBf16 = frozenCopy(weight);
            }
            return weightBf16;
        }
        if (w == mergedWeight) {
            if (mergedBf16 == null) {
                mergedBf16 = frozenCopy(mergedWeight);
            }
            return mergedBf16;
        }
        return w; // a head copy: small, cast per call
    }

    private static NDArray frozenCopy(NDArray w) {
        NDArray copy = Bf16Kernels.toBf16(w);
        copy.attach(w.getManager());
        return copy;
    }

    public NDArray bias() {
        return bias;
    }

    /** y = x W^T + b, plus the active adapters' paths (the active adapter's head copy, if any). x is [..., n]. */
    public NDArray forward(NDArray x) {
        if (mergedWeight != null) {
            return baseLinear(x, mergedWeight, bias);
        }
        SlotHead head = activeHead();
        NDArray out = head == null ? baseLinear(x, weight, bias)
                : baseLinear(x, head.weightOr(weight), head.biasOr(bias));
        if (firstActive() == null) {
            return out;
        }
        for (String adapterName : active) {
            AdapterLayer layer = adapters.get(adapterName);
            if (layer != null) {
                out = layer.forward(x, out);
            }
        }
        return out;
    }

    /**
     * y = x W^T + b plus the path of the adapter each row selects, x [batch, ..., n]; {@code null} means the active
     * adapters, as {@link #forward(NDArray)}. An explicit selection reads no mutable state of the slot (active list,
     * disabled flag, merge): it always runs the unmerged path from the base weight, so it is safe while other threads
     * run other selections. Rows whose adapter this slot lacks (or {@link AdapterSelection#BASE}) get the base.
     */
    public NDArray forward(NDArray x, AdapterSelection selection) {
        return selection == null ? forward(x) : SelectedForward.forward(this, x, selection);
    }

    private SlotHead activeHead() {
        if (adaptersDisabled) {
            return null;
        }
        for (String adapterName : active) {
            SlotHead head = heads.get(adapterName);
            if (head != null) {
                return head;
            }
        }
        return null;
    }

    private AdapterLayer firstActive() {
        if (adaptersDisabled) {
            return null;
        }
        for (String adapterName : active) {
            AdapterLayer layer = adapters.get(adapterName);
            if (layer != null) {
                return layer;
            }
        }
        return null;
    }

    static NDArray linear(NDArray x, NDArray w, NDArray b) {
        // Linear.linear calls the engine's fused torch::linear (one GEMM plus the bias add).
        return Linear.linear(x, w, b).singletonOrThrow();
    }

    /** Adapter {@code adapterName}'s copy of this slot's weight/bias, or null (the base serves). */
    SlotHead head(String adapterName) {
        return heads.get(adapterName);
    }

    /** Installs an adapter's own weight/bias copies (its modules to save); {@link HeadCopies} owns them. */
    void addHead(String adapterName, SlotHead head) {
        if (heads.containsKey(adapterName)) {
            throw new IllegalArgumentException("Layer " + name + " already has a head copy for adapter '"
                    + adapterName + "'");
        }
        heads.put(adapterName, head);
    }

    void removeHead(String adapterName) {
        heads.remove(adapterName);
    }

    /** Adapters that hold their own copy of this slot's weight or bias. */
    Set<String> headAdapterNames() {
        return Collections.unmodifiableSet(heads.keySet());
    }

    /** Marks an adapter whose values live in the model's own tensors while active: no per-call selection of it. */
    void markInPlace(String adapterName) {
        inPlaceAdapters.add(adapterName);
        forgetFingerprint();
    }

    void forgetInPlace(String adapterName) {
        inPlaceAdapters.remove(adapterName);
        forgetFingerprint();
    }

    Set<String> inPlaceAdapterNames() {
        return Collections.unmodifiableSet(inPlaceAdapters);
    }

    public void add(String adapterName, AdapterLayer layer) {
        if (adapters.containsKey(adapterName)) {
            throw new IllegalArgumentException("Layer " + name + " already has an adapter named '" + adapterName
                    + "'; delete it first or choose another name");
        }
        adapters.put(adapterName, layer);
    }

    public boolean has(String adapterName) {
        return adapters.containsKey(adapterName);
    }

    public AdapterLayer get(String adapterName) {
        return adapters.get(adapterName);
    }

    public Set<String> adapterNames() {
        return Collections.unmodifiableSet(adapters.keySet());
    }

    /** Makes exactly these adapters active (those the slot lacks are skipped, as in peft). */
    public void setActive(List<String> names) {
        requireUnmerged("change the active adapter");
        active.clear();
        active.addAll(names);
    }

    public List<String> activeAdapters() {
        return Collections.unmodifiableList(active);
    }

    public void setAdaptersDisabled(boolean disabled) {
        requireUnmerged("disable adapters");
        this.adaptersDisabled = disabled;
    }

    public void delete(String adapterName) {
        if (adapterName.equals(mergedAdapter)) {
            throw new IllegalStateException("Adapter '" + adapterName + "' is merged into " + name
                    + "; unmerge before deleting it");
        }
        AdapterLayer removed = adapters.remove(adapterName);
        if (removed != null) {
            removed.close();
        }
        heads.remove(adapterName);
        inPlaceAdapters.remove(adapterName);
        active.remove(adapterName);
    }

    /** Folds the first active adapter into a merged weight; forward then is one plain GEMM. */
    public void merge() {
        AdapterLayer layer = firstActive();
        if (layer == null || mergedWeight != null) {
            return;
        }
        mergedWeight = layer.mergedWeight();
        mergedWeight.setRequiresGradient(false);
        mergedAdapter = active.stream().filter(adapters::containsKey).findFirst().orElseThrow();
    }

    public void unmerge() {
        if (mergedWeight != null) {
            dropBf16Copies();
            mergedWeight.close();
            mergedWeight = null;
            mergedAdapter = null;
        }
    }

    public boolean isMerged() {
        return mergedWeight != null;
    }

    /** The weight a plain model would need to reproduce this slot's current output. */
    public NDArray effectiveWeight() {
        if (mergedWeight != null) {
            return mergedWeight.duplicate();
        }
        AdapterLayer layer = firstActive();
        SlotHead head = activeHead();
        NDArray base = head == null ? weight : head.weightOr(weight);
        NDArray effective = layer == null ? base.duplicate() : layer.mergedWeight();
        effective.attach(weight.getManager()); // outlives the adapter's tensors
        return effective;
    }

    /** Detaches every adapter (head copies included); the slot is the original linear layer again. */
    public void unload() {
        unmerge();
        for (AdapterLayer layer : adapters.values()) {
            layer.close();
        }
        adapters.clear();
        heads.clear();
        inPlaceAdapters.clear();
        forgetFingerprint();
        active.clear();
        adaptersDisabled = false;
    }

    private void requireUnmerged(String action) {
        if (mergedWeight != null) {
            throw new IllegalStateException("Layer " + name + " has adapter '" + mergedAdapter
                    + "' merged; call unmerge() before you " + action);
        }
    }

    public NDList baseTensors() {
        return bias == null ? new NDList(weight) : new NDList(weight, bias);
    }

    @Override
    public void close() {
        unload();
    }
}
