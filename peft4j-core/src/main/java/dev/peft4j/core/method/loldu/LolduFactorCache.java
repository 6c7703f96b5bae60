package dev.peft4j.core.method.loldu;

import dev.peft4j.core.adapter.LinearSlot;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * The LoLDU factors of each slot, one instance per (slot, rank), shared by every adapter created on it.
 *
 * <p>Why: the decomposition is deterministic (same base weight bytes and rank give the same factors, bit for bit),
 * so N tenants of a slot need one copy of {@code Lp} and {@code U'_r} and one decomposition, not N; and a shared
 * instance is what lets a mixed batch gather their scale vectors into one op. An entry lives while a layer uses it
 * (reference counted) and is keyed weakly by the slot; it is also dropped if the slot's base weight was replaced,
 * which needs all adapters detached first (the entry is checked against the slot's current weight tensor). Factors read from a portable adapter file are not cached: they may come
 * from another base.
 */
final class LolduFactorCache {

    private static final Map<LinearSlot, Map<Integer, LolduFactors>> CACHE = new WeakHashMap<>();

    private LolduFactorCache() {
    }

    /** The shared factors of {@code slot} at effective rank {@code rank}, decomposing on first use; acquired. */
    static LolduFactors acquire(LinearSlot slot, int rank, Supplier<LolduLayer.Factors> decompose) {
        synchronized (CACHE) {
            Map<Integer, LolduFactors> byRank = CACHE.computeIfAbsent(slot, k -> new HashMap<>());
            LolduFactors cached = byRank.get(rank);
            if (cached != null && cached.decomposes(slot.weight()) && cached.tryAcquire()) {
                return cached;
            }
        }
        LolduLayer.Factors factors = decompose.get(); // outside the lock: O(m n r)
        synchronized (CACHE) {
            Map<Integer, LolduFactors> byRank = CACHE.computeIfAbsent(slot, k -> new HashMap<>());
            LolduFactors cached = byRank.get(rank);
            if (cached != null && cached.decomposes(slot.weight()) && cached.tryAcquire()) {
                return cached; // another thread decomposed meanwhile
            }
            LolduFactors[] created = new LolduFactors[1];
            created[0] = new LolduFactors(slot.weight(), factors, () -> forget(slot, rank, created[0]));
            byRank.put(rank, created[0]);
            return created[0].acquire();
        }
    }

    /** Unshared factors (from a portable file), freed with their only layer. */
    static LolduFactors own(LinearSlot slot, LolduLayer.Factors factors) {
        return new LolduFactors(slot.weight(), factors, () -> { }).acquire();
    }

    private static void forget(LinearSlot slot, int rank, LolduFactors freed) {
        synchronized (CACHE) {
            Map<Integer, LolduFactors> byRank = CACHE.get(slot);
            if (byRank != null) {
                byRank.remove(rank, freed); // a newer entry for the same rank stays
                if (byRank.isEmpty()) {
                    CACHE.remove(slot);
                }
            }
        }
    }
}
