package dev.peft4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A layer whose path is {@code B ((A x) ⊙ s)} with frozen factors A [r, n], B [m, r] that other adapters on the same
 * slot share, and a per-adapter scale vector s [r] (LoLDU: {@code A = U'_r}, {@code B = Lp},
 * {@code s = sigma z - sigma0 c}).
 *
 * <p>A batch whose rows choose different such adapters then needs no loop over adapters: the slot stacks their scale
 * vectors (a zero row for rows without one), gathers one per row and runs the two factor GEMMs once for the whole
 * batch, {@code Y = X W^T + ((X A^T) ⊙ S[row]) B^T}. Per row that is the same arithmetic as
 * {@link #forward(NDArray, NDArray)}, so a mixed batch gives each row the bits of its single-adapter batch.
 */
public interface SharedFactorsLayer extends AdapterLayer {

    /**
     * The frozen factors, as one object per distinct (A, B): layers returning the same instance (compared by
     * identity) can be gathered into one batch op. Layers with equal values but distinct instances are merely
     * computed in separate gathers, never mixed up.
     */
    Object sharedFactors();

    /** The rank r, the length of {@link #scale(NDManager)}. */
    int rank();

    /** This adapter's scale vector s [r], attached to {@code owner} (differentiable in the trainable tensors). */
    NDArray scale(NDManager owner);

    /**
     * {@code baseOut + ((x A^T) ⊙ rowScales) B^T} for x [batch, ..., n], with {@code rowScales} [batch, 1, ..., r]:
     * one scale vector per row, broadcast over the middle dimensions.
     */
    NDArray forwardScaled(NDArray x, NDArray baseOut, NDArray rowScales);
}
