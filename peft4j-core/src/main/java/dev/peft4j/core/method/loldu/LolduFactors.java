package dev.peft4j.core.method.loldu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The frozen factors of one slot's truncated LDU at one rank, {@code Lp} [m, r], {@code d_r} [r], {@code U'_r} [r, n],
 * as tensors that every LoLDU adapter of that slot and rank shares (see {@link LolduFactorCache}).
 *
 * <p>They depend only on the base weight and r, so many tenants need one copy, not one each; and adapters holding
 * the same instance can be gathered into one batch op ({@code LinearSlot}'s per-row forward). Reference counted:
 * each layer {@link #acquire()}s and {@link #release()}s, and the last release frees the tensors.
 */
final class LolduFactors {

    private final NDManager manager;
    private final NDArray lowerPermuted; // Lp [m, r]
    private final NDArray unitUpper; // U'_r [r, n]
    private final NDArray pivots; // d_r [r]
    private final NDArray baseWeight; // the slot's weight they decompose (identity check on reuse)
    private final Runnable onFree;
    private int users;

    LolduFactors(NDArray baseWeight, LolduLayer.Factors factors, Runnable onFree) {
        this.baseWeight = baseWeight;
        this.manager = baseWeight.getManager().newSubManager();
        this.onFree = onFree;
        lowerPermuted = manager.create(factors.lowerPermuted(), new Shape(factors.m(), factors.r()));
        unitUpper = manager.create(factors.unitUpper(), new Shape(factors.r(), factors.n()));
        pivots = manager.create(factors.pivots());
    }

    NDArray lowerPermuted() {
        return lowerPermuted;
    }

    NDArray unitUpper() {
        return unitUpper;
    }

    NDArray pivots() {
        return pivots;
    }

    int rank() {
        return (int) pivots.getShape().get(0);
    }

    /** Adds a user; false once the tensors were freed (the caller then makes new factors). */
    synchronized boolean tryAcquire() {
        if (users < 0) {
            return false;
        }
        users++;
        return true;
    }

    LolduFactors acquire() {
        if (!tryAcquire()) {
            throw new IllegalStateException("LoLDU factors used after they were freed");
        }
        return this;
    }

    /** Whether these factors were computed from {@code weight} (the very tensor, not equal values). */
    boolean decomposes(NDArray weight) {
        return baseWeight == weight;
    }

    /** Drops one user; the last one frees the tensors (and the cache entry). */
    void release() {
        boolean free;
        synchronized (this) {
            free = --users == 0;
            if (free) {
                users = -1;
            }
        }
        if (free) {
            onFree.run();
            manager.close();
        }
    }
}
