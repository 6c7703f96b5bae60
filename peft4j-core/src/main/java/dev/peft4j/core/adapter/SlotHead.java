package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;

/**
 * One adapter's own copy of a slot's weight and/or bias (a module to save, e.g. a classification head): the slot
 * multiplies by these instead of its base tensors for rows that select the adapter. A null field means the base
 * tensor serves. The copies belong to {@link HeadCopies}; the slot only reads them.
 */
record SlotHead(NDArray weight, NDArray bias) {

    NDArray weightOr(NDArray base) {
        return weight == null ? base : weight;
    }

    NDArray biasOr(NDArray base) {
        return bias == null ? base : bias;
    }
}
