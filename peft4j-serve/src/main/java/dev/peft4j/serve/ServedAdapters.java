package dev.peft4j.serve;

import dev.peft4j.core.adapter.AdaptableModel;
import dev.peft4j.core.adapter.AdapterSelection;
import dev.peft4j.core.adapter.LoadOptions;
import dev.peft4j.core.adapter.Peft;
import dev.peft4j.core.adapter.PeftModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/**
 * The adapters loaded on one served base (encoder or decoder) and the lock that keeps forwards and installs apart.
 * Forwards name their adapters per row and read no active-adapter state, so they may run concurrently under the
 * read lock; loads and deletes change the slots' maps under the write lock, so no forward sees an adapter half
 * attached or freed under it. The lock is fair: forwards that come after an install wait for it.
 */
final class ServedAdapters {

    private final AdaptableModel model;
    private final PeftModel peft;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock(true);

    ServedAdapters(AdaptableModel model) {
        this.model = model;
        this.peft = Peft.empty(model);
    }

    /** Loads {@code dir} strictly and frozen as {@code internalName}, selectable per row; on failure nothing stays. */
    void load(Path dir, String internalName) throws IOException {
        lock.writeLock().lock();
        try {
            peft.loadAdapter(dir, internalName, false, LoadOptions.strict());
            try {
                AdapterSelection.of(internalName).requireLoadedIn(model);
            } catch (IllegalArgumentException notSelectable) {
                peft.deleteAdapter(internalName);
                throw notSelectable;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Frees {@code internalName}; nothing when it is not loaded. */
    void delete(String internalName) {
        lock.writeLock().lock();
        try {
            if (peft.adapterNames().contains(internalName)) {
                peft.deleteAdapter(internalName);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** The adapters loaded now. */
    Set<String> loaded() {
        lock.readLock().lock();
        try {
            return Set.copyOf(peft.adapterNames());
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Runs {@code forward} under the read lock with the rows whose adapter is there: each row's adapter (a key, or
     * {@link AdapterSelection#BASE}) is resolved to its loaded name ({@code resolve}; null when gone) under the lock,
     * so that a replacement swapped in meanwhile is seen consistently. {@code forward} gets the indices of the
     * present rows and their loaded names; rows whose adapter is gone take no part.
     */
    <T> T forward(List<String> rowAdapters, UnaryOperator<String> resolve,
            BiFunction<List<Integer>, List<String>, T> forward) {
        lock.readLock().lock();
        try {
            Set<String> loaded = peft.adapterNames();
            List<Integer> present = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < rowAdapters.size(); i++) {
                String adapter = rowAdapters.get(i);
                String name = AdapterSelection.BASE.equals(adapter) ? adapter : resolve.apply(adapter);
                if (name != null && (AdapterSelection.BASE.equals(name) || loaded.contains(name))) {
                    present.add(i);
                    names.add(name);
                }
            }
            return forward.apply(present, names);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Test seam: holds the write lock so forwards wait; returns the unlocker. */
    Runnable holdForwards() throws InterruptedException {
        if (!lock.writeLock().tryLock(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("could not hold the model's write lock within 10 s");
        }
        return () -> lock.writeLock().unlock();
    }

    /** Runs {@code close} (freeing the model) once no forward runs. */
    void closeAfterForwards(Runnable close) {
        lock.writeLock().lock();
        try {
            close.run();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
