package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The rows of a batch grouped by what their adapter selects on one slot (its layer, its head copy), keys compared
 * by identity and null standing for "nothing" (the base); groups in order of first appearance. Cuts a tensor to one
 * group's rows and puts per-group results back in row order, both as differentiable index gathers.
 */
final class RowGroups<K> {

    private final List<K> keys = new ArrayList<>();
    private final List<List<Integer>> rows = new ArrayList<>();
    private final Map<K, Integer> groupOfKey = new IdentityHashMap<>();
    private int nullGroup = -1;
    private final int batch;

    private RowGroups(int batch) {
        this.batch = batch;
    }

    /** Groups the rows of {@code selection} by {@code keyOf(adapter name)}; base rows get the null key. */
    static <K> RowGroups<K> of(AdapterSelection selection, Function<String, K> keyOf) {
        List<String> names = selection.rowNames();
        RowGroups<K> groups = new RowGroups<>(names.size());
        for (int row = 0; row < names.size(); row++) {
            String name = names.get(row);
            groups.add(AdapterSelection.BASE.equals(name) ? null : keyOf.apply(name), row);
        }
        return groups;
    }

    private void add(K key, int row) {
        int group = key == null ? nullGroup : groupOfKey.getOrDefault(key, -1);
        if (group < 0) {
            group = keys.size();
            keys.add(key);
            rows.add(new ArrayList<>());
            if (key == null) {
                nullGroup = group;
            } else {
                groupOfKey.put(key, group);
            }
        }
        rows.get(group).add(row);
    }

    int batch() {
        return batch;
    }

    int size() {
        return keys.size();
    }

    boolean isUniform() {
        return keys.size() == 1;
    }

    K key(int group) {
        return keys.get(group);
    }

    /** The group of {@code key} (identity), or -1. */
    int groupOf(K key) {
        return key == null ? nullGroup : groupOfKey.getOrDefault(key, -1);
    }

    List<Integer> rows(int group) {
        return rows.get(group);
    }

    /** {@code t}'s rows of {@code group} (dimension 0), in row order. */
    NDArray rowsOf(NDArray t, int group) {
        List<Integer> members = rows.get(group);
        long[] index = new long[members.size()];
        for (int i = 0; i < index.length; i++) {
            index[i] = members.get(i);
        }
        return t.get(t.getManager().create(index));
    }

    /**
     * The batch back in row order from one result per group ({@code piece.apply(g)} holds group g's rows in order):
     * the pieces concatenated, then gathered by the inverse permutation.
     */
    NDArray assemble(NDManager manager, IntFunction<NDArray> piece) {
        NDList pieces = new NDList(keys.size());
        long[] inverse = new long[batch];
        int position = 0;
        for (int g = 0; g < keys.size(); g++) {
            pieces.add(piece.apply(g));
            for (int row : rows.get(g)) {
                inverse[row] = position++;
            }
        }
        NDArray stacked = pieces.size() == 1 ? pieces.head() : NDArrays.concat(pieces, 0);
        return stacked.get(manager.create(inverse));
    }
}
