package dev.peft4j.core.adapter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which adapter a forward pass applies, chosen per call: one for the whole batch, or one per row (peft's
 * {@code adapter_names}), the base model ({@link #BASE}) being a valid choice everywhere.
 *
 * <p>Immutable and free of any model state, so two threads may run two selections over one model at once. A forward
 * that takes a selection never reads or writes the active-adapter state of {@link PeftModel#setAdapter}, which stays
 * a training convenience. A slot that lacks a selected adapter (it targets other layers) runs its base path for
 * those rows, as in peft.
 */
public final class AdapterSelection {

    /** The name that selects the base model (no adapter), as peft's {@code "__base__"}. */
    public static final String BASE = "__base__";

    private static final AdapterSelection BASE_SELECTION = new AdapterSelection(BASE, null, true);

    private final String single; // the whole batch's choice, or null when per row
    private final List<String> rows; // one name per batch row, or null
    private final boolean gathersSharedFactors;

    private AdapterSelection(String single, List<String> rows, boolean gathersSharedFactors) {
        this.single = single;
        this.rows = rows;
        this.gathersSharedFactors = gathersSharedFactors;
    }

    /** No adapter: {@code W x + b} in every slot, the model's original heads. */
    public static AdapterSelection base() {
        return BASE_SELECTION;
    }

    /** One adapter for the whole batch ({@link #BASE} gives {@link #base()}). */
    public static AdapterSelection of(String adapterName) {
        return BASE.equals(requireName(adapterName, "of")) ? BASE_SELECTION : new AdapterSelection(adapterName, null, true);
    }

    /**
     * One adapter per batch row (dimension 0 of every activation); a row's name may be {@link #BASE}. A list that
     * names one adapter throughout is the same as {@link #of}.
     */
    public static AdapterSelection perRow(List<String> adapterNames) {
        Objects.requireNonNull(adapterNames, "adapterNames");
        if (adapterNames.isEmpty()) {
            throw new IllegalArgumentException("A per-row adapter selection needs one name per batch row, found an "
                    + "empty list; use AdapterSelection.base() or of(name) for a whole batch");
        }
        List<String> copy = new ArrayList<>(adapterNames.size());
        for (int i = 0; i < adapterNames.size(); i++) {
            String name = adapterNames.get(i);
            if (name == null) {
                throw new IllegalArgumentException("Row " + i + " of the per-row adapter selection is null; name an "
                        + "adapter or AdapterSelection.BASE (\"" + BASE + "\") for the base model");
            }
            copy.add(name);
        }
        if (copy.stream().distinct().count() == 1) {
            return of(copy.get(0));
        }
        return new AdapterSelection(null, Collections.unmodifiableList(copy), true);
    }

    /**
     * The same rows, but every adapter runs on the sub-batch of its own rows, as peft's {@code adapter_names} does,
     * even where adapters share factors and one gathered op would do. The result is the same up to float rounding
     * (other GEMM shapes); the benchmark measures what the gather saves with it.
     */
    public AdapterSelection perAdapterLoop() {
        return rows == null ? this : new AdapterSelection(null, rows, false);
    }

    /** Whether rows of adapters sharing factors (LoLDU) run as one gathered op (false after {@link #perAdapterLoop}). */
    public boolean gathersSharedFactors() {
        return gathersSharedFactors;
    }

    private static String requireName(String name, String factory) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("AdapterSelection." + factory + " needs an adapter name, found "
                    + (name == null ? "null" : "an empty string") + "; use AdapterSelection.base() for the base model");
        }
        return name;
    }

    /** Whether rows choose different adapters (otherwise {@link #single()} holds for the whole batch). */
    public boolean isPerRow() {
        return rows != null;
    }

    /** Whether the whole batch runs the base model. */
    public boolean isBase() {
        return BASE.equals(single);
    }

    /** The whole batch's adapter name ({@link #BASE} for the base); only when not {@link #isPerRow()}. */
    public String single() {
        if (rows != null) {
            throw new IllegalStateException("This selection chooses per row " + rows + "; ask rowNames() instead");
        }
        return single;
    }

    /** One name per row; only when {@link #isPerRow()}. */
    public List<String> rowNames() {
        if (rows == null) {
            throw new IllegalStateException("This selection is '" + single + "' for the whole batch; ask single()");
        }
        return rows;
    }

    /** The adapter row {@code row} uses ({@link #BASE} for the base); any row for a whole-batch selection. */
    public String adapterFor(int row) {
        return rows == null ? single : rows.get(row);
    }

    /** The distinct adapters named, base excluded, in order of first appearance. */
    public Set<String> adapterNames() {
        Set<String> names = new LinkedHashSet<>(rows == null ? List.of(single) : rows);
        names.remove(BASE);
        return Collections.unmodifiableSet(names);
    }

    /** Fails unless a per-row selection has exactly {@code batch} rows; whole-batch selections fit any batch. */
    public void requireRows(long batch, String where) {
        if (rows != null && rows.size() != batch) {
            throw new IllegalArgumentException(where + ": the per-row adapter selection has " + rows.size()
                    + " names but the batch has " + batch + " rows; give one adapter name (or AdapterSelection.BASE) "
                    + "per row");
        }
    }

    /**
     * Fails unless every adapter named is loaded on {@code model} and can be selected per call, naming the ones that
     * are. Adapters that train the model's own tensors in place (BitFit, full fine-tuning, the linear probe, or
     * modules to save outside the linear layers) hold their values in those tensors only while active, so a
     * selection cannot name them; run them with {@code setAdapter} and the forward without a selection.
     */
    public AdapterSelection requireLoadedIn(AdaptableModel model) {
        // per distinct name a lookup in each slot, not a set of every loaded name: a server holds 100,000 adapters
        // and checks every batch; the full sets are built only for the error message
        for (String name : adapterNames()) {
            boolean found = false;
            for (LinearSlot slot : model.linearLayers().values()) {
                if (slot.inPlaceAdapterNames().contains(name)) {
                    throw new IllegalArgumentException("Adapter '" + name + "' trains tensors of " + model.modelName()
                            + " in place, so a per-call selection cannot apply it; use PeftModel.setAdapter(\"" + name
                            + "\") and the forward without a selection, or select one of " + selectable(model));
                }
                found |= slot.get(name) != null || slot.head(name) != null;
            }
            if (!found) {
                throw new IllegalArgumentException("The adapter selection names '" + name + "', but " + model.modelName()
                        + " has no such adapter; loaded adapters: " + selectable(model) + ". Load it first "
                        + "(PeftModel.loadAdapter) or select AdapterSelection.base()");
            }
        }
        return this;
    }

    private static Set<String> selectable(AdaptableModel model) {
        Set<String> selectable = new TreeSet<>();
        Set<String> inPlace = new TreeSet<>();
        for (LinearSlot slot : model.linearLayers().values()) {
            selectable.addAll(slot.adapterNames());
            selectable.addAll(slot.headAdapterNames());
            inPlace.addAll(slot.inPlaceAdapterNames());
        }
        selectable.removeAll(inPlace);
        return selectable;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AdapterSelection other && Objects.equals(single, other.single)
                && Objects.equals(rows, other.rows) && gathersSharedFactors == other.gathersSharedFactors;
    }

    @Override
    public int hashCode() {
        return Objects.hash(single, rows, gathersSharedFactors);
    }

    @Override
    public String toString() {
        return rows == null ? "AdapterSelection[" + single + "]"
                : "AdapterSelection" + (gathersSharedFactors ? "" : "(per-adapter loop)") + rows;
    }
}
