package dev.peft4j.core.method.vera;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.peft4j.core.method.lora.LoraMethod;
import dev.peft4j.core.nd.Tensors;
import java.util.Random;

/**
 * The frozen projections A {@code [r, n_max]} and B {@code [m_max, r]} that all layers of one VeRA
 * adapter share. Layers register their shape while the adapter is attached; the tensors are drawn on
 * first use, when every layer has registered, so they are sized as peft sizes them (largest in and out
 * features over the targeted layers). Freed when the last layer closes.
 */
final class VeraProjection {

    private final long seed;
    private final int rank;
    private final NDManager manager;
    private int maxOut;
    private int maxIn;
    private int users;
    private int version;
    private NDArray a; // [r, n_max]
    private NDArray b; // [m_max, r]

    VeraProjection(long seed, int rank, NDManager parent) {
        this.seed = seed;
        this.rank = rank;
        this.manager = parent.newSubManager();
    }

    synchronized void register(int m, int n) {
        if (a != null) {
            throw new IllegalStateException("VeRA projections are already drawn; a layer cannot join them now");
        }
        maxOut = Math.max(maxOut, m);
        maxIn = Math.max(maxIn, n);
        users++;
    }

    synchronized boolean isDrawn() {
        return a != null;
    }

    /** Bumped whenever the values change (loaded from a file), so layers refresh their slices. */
    synchronized int version() {
        draw();
        return version;
    }

    synchronized NDArray a() {
        draw();
        return a;
    }

    synchronized NDArray b() {
        draw();
        return b;
    }

    private void draw() {
        if (a != null) {
            return;
        }
        // peft's _kaiming_init: kaiming_uniform_(a=sqrt(5)) on [r, n_max] then [m_max, r], one generator.
        Random rng = new Random(seed);
        a = manager.create(LoraMethod.kaimingUniform(rank, maxIn, rng), new Shape(rank, maxIn));
        b = manager.create(LoraMethod.kaimingUniform(maxOut, rank, rng), new Shape(maxOut, rank));
    }

    /** Replaces the drawn values with saved ones of the same shapes. */
    synchronized void load(float[] aValues, float[] bValues) {
        draw();
        Tensors.overwrite(a, aValues);
        Tensors.overwrite(b, bValues);
        version++;
    }

    synchronized void release() {
        users--;
        if (users == 0) {
            manager.close();
        }
    }
}
