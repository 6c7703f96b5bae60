package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One slot's forward under an explicit {@link AdapterSelection}; reads only the slot's adapters and head copies.
 *
 * <p>Per row it computes {@code W_h x + b_h + delta_a(x)}, with h the row's head copy (the base tensors if none) and
 * a the row's adapter:
 * <ul>
 * <li>base GEMM: once for the batch when every row uses the same weight, else once per head on the rows that chose
 * it;</li>
 * <li>{@link SharedFactorsLayer}s (LoLDU) with the same factors: one gathered op for the whole batch,
 * {@code ((X A^T) ⊙ S[row]) B^T}, S the stacked scale vectors plus a zero row for the other rows;</li>
 * <li>any other method (LoRA, VeRA, PiSSA, ...): as peft, its path runs on the sub-batch of rows that chose it,
 * and the rows are put back in order with one gather.</li>
 * </ul>
 * Everything is an ordinary differentiable op (index gathers, concat), so a per-row batch also trains.
 */
final class SelectedForward {

    private SelectedForward() {
    }

    static NDArray forward(LinearSlot slot, NDArray x, AdapterSelection selection) {
        if (!selection.isPerRow()) {
            return single(slot, x, selection.single());
        }
        long batch = x.getShape().get(0);
        selection.requireRows(batch, "Layer " + slot.name());
        RowGroups<SlotHead> byHead = RowGroups.of(selection, slot::head);
        NDArray out = byHead.isUniform()
                ? baseLinear(slot, x, byHead.key(0))
                : byHead.assemble(x.getManager(), group -> baseLinear(slot, byHead.rowsOf(x, group),
                        byHead.key(group)));
        RowGroups<AdapterLayer> byLayer = RowGroups.of(selection, slot::get);
        // one gather per distinct factor instance (normally one: the slot's cache), in order of first appearance so
        // that the sums are the same on every call
        List<Object> factorKeys = new ArrayList<>();
        List<List<AdapterLayer>> gatherable = new ArrayList<>();
        Set<Integer> grouped = new HashSet<>();
        for (int g = 0; g < byLayer.size(); g++) {
            AdapterLayer layer = byLayer.key(g);
            if (layer instanceof SharedFactorsLayer shared && selection.gathersSharedFactors()) {
                int k = indexOfIdentical(factorKeys, shared.sharedFactors());
                if (k < 0) {
                    factorKeys.add(shared.sharedFactors());
                    gatherable.add(new ArrayList<>());
                    k = gatherable.size() - 1;
                }
                gatherable.get(k).add(layer);
            } else if (layer != null) {
                grouped.add(g);
            }
        }
        for (List<AdapterLayer> sameFactors : gatherable) {
            out = gathered(x, out, sameFactors, byLayer);
        }
        if (!grouped.isEmpty()) {
            out = perAdapter(x, out, grouped, byLayer);
        }
        return out;
    }

    private static int indexOfIdentical(List<Object> keys, Object key) {
        for (int i = 0; i < keys.size(); i++) {
            if (keys.get(i) == key) {
                return i;
            }
        }
        return -1;
    }

    /** The whole batch on one adapter: exactly the arithmetic of the active-adapter path for that adapter. */
    private static NDArray single(LinearSlot slot, NDArray x, String adapterName) {
        NDArray out = baseLinear(slot, x, slot.head(adapterName));
        AdapterLayer layer = slot.get(adapterName);
        return layer == null ? out : layer.forward(x, out);
    }

    private static NDArray baseLinear(LinearSlot slot, NDArray x, SlotHead head) {
        return head == null ? slot.baseLinear(x, slot.weight(), slot.bias())
                : slot.baseLinear(x, head.weightOr(slot.weight()), head.biasOr(slot.bias()));
    }

    /**
     * {@code out + ((x A^T) ⊙ S[row]) B^T} for layers sharing (A, B): S [k + 1, r] stacks their scale vectors and a
     * zero row, which rows of other adapters (or the base) gather, so they get exactly {@code out + 0}.
     */
    private static NDArray gathered(NDArray x, NDArray out, List<AdapterLayer> layers,
            RowGroups<AdapterLayer> byLayer) {
        NDManager batchManager = x.getManager();
        SharedFactorsLayer first = (SharedFactorsLayer) layers.get(0);
        NDList scales = new NDList();
        for (AdapterLayer layer : layers) {
            scales.add(((SharedFactorsLayer) layer).scale(batchManager));
        }
        scales.add(batchManager.zeros(new Shape(first.rank())));
        NDArray stacked = NDArrays.stack(scales); // [k + 1, r]
        // a frozen layer's scale is its own: the stack would join that layer's manager, one per forward, for good
        stacked.attach(batchManager);
        long[] index = new long[byLayer.batch()];
        Arrays.fill(index, layers.size());
        for (int k = 0; k < layers.size(); k++) {
            for (int row : byLayer.rows(byLayer.groupOf(layers.get(k)))) {
                index[row] = k;
            }
        }
        long[] broadcast = new long[x.getShape().dimension()];
        Arrays.fill(broadcast, 1);
        broadcast[0] = index.length;
        broadcast[broadcast.length - 1] = first.rank();
        NDArray rowScales = stacked.get(batchManager.create(index)).reshape(new Shape(broadcast));
        return first.forwardScaled(x, out, rowScales);
    }

    /** peft's grouping: each adapter on the sub-batch of its rows, then all rows back in order. */
    private static NDArray perAdapter(NDArray x, NDArray out, Set<Integer> groups, RowGroups<AdapterLayer> byLayer) {
        return byLayer.assemble(x.getManager(), g -> {
            NDArray rowsOut = byLayer.rowsOf(out, g);
            // base rows, and rows whose adapter the gathered op already applied, keep what they have
            return groups.contains(g) ? byLayer.key(g).forward(byLayer.rowsOf(x, g), rowsOut) : rowsOut;
        });
    }
}
