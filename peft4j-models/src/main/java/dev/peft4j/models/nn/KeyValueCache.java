package dev.peft4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * The keys and values a decoder has already computed, per layer ([batch, keyValueHeads, cached, headSize], keys
 * after the rotary embedding), so each generated token costs one position's projections instead of a forward over
 * the whole sequence (Hugging Face's {@code DynamicCache}). Grows by concatenation, like {@code DynamicCache}.
 *
 * <p>Memory: the cached tensors belong to the cache's own manager, freed by {@link #close()}. While one step uses them
 * they are temporarily attached to that step's manager ({@code tempAttach}), so whatever the step computes from them
 * (the grouped-query broadcast, the scores) dies with the step, and the cache itself survives it.
 */
public final class KeyValueCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private long length;

    /** An empty cache for a model of {@code layers} attention layers. */
    public KeyValueCache(NDManager parent, int layers) {
        if (layers < 1) {
            throw new IllegalArgumentException("A key/value cache needs >= 1 layer, found " + layers);
        }
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Positions cached so far (the same in every layer once a forward has completed). */
    public long length() {
        return length;
    }

    public int layers() {
        return keys.length;
    }

    /** The view one attention layer appends to. */
    public Layer layer(int index) {
        if (index < 0 || index >= keys.length) {
            throw new IndexOutOfBoundsException("Layer " + index + " of a cache for " + keys.length + " layers");
        }
        return new Layer(index);
    }

    /** One layer's slot in the cache. */
    public final class Layer {

        private final int index;

        private Layer(int index) {
            this.index = index;
        }

        /**
         * Appends this step's keys and values ([batch, kvHeads, new, d]) and returns all of them, past and new, for
         * this step's attention.
         */
        public NDList append(NDArray newKeys, NDArray newValues) {
            NDManager step = newKeys.getManager();
            keys[index] = grow(keys[index], newKeys, step);
            values[index] = grow(values[index], newValues, step);
            if (index == keys.length - 1) {
                length = keys[index].getShape().get(2);
            }
            return new NDList(keys[index], values[index]);
        }
    }

    private NDArray grow(NDArray past, NDArray added, NDManager step) {
        NDArray all = past == null ? added.duplicate() : NDArrays.concat(new NDList(past, added), 2);
        all.attach(manager);
        if (past != null) {
            past.close();
        }
        all.tempAttach(step); // back to this cache when the step's manager closes
        return all;
    }

    /** Frees every cached tensor. */
    @Override
    public void close() {
        manager.close();
    }
}
