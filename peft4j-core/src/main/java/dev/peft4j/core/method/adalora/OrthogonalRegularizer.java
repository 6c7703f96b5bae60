package dev.peft4j.core.method.adalora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.peft4j.core.nd.Scalars;
import java.util.List;

/**
 * AdaLoRA's orthogonality regulariser, as peft's {@code AdaLoraModel.forward} adds it to the loss:
 * {@code weight · mean over all P in {A_i} ∪ {B_i} of ||C(P) - I||_F}, with {@code C(A) = A A^T} ([r, r], the right
 * singular vectors' Gram matrix) and {@code C(B) = B^T B}. It keeps {@code B diag(E) A} close to an SVD, so that E's
 * entries are the triplets' singular values and masking one removes one direction.
 */
final class OrthogonalRegularizer {

    private OrthogonalRegularizer() {
    }

    /**
     * The regulariser over {@code as} ([r, n] each) and {@code bs} ([m, r] each), differentiable in them; it and its
     * temporaries belong to {@code manager}.
     */
    static NDArray loss(List<NDArray> as, List<NDArray> bs, float weight, NDManager manager) {
        if (as.isEmpty() && bs.isEmpty()) {
            throw new IllegalArgumentException("The orthogonality regulariser needs at least one A or B matrix, found "
                    + "none; attach the AdaLoRA adapter to at least one layer");
        }
        NDArray sum = null;
        for (NDArray a : as) {
            sum = plus(sum, deviation(owned(manager, a.matMul(owned(manager, a.transpose()))), manager), manager);
        }
        for (NDArray b : bs) {
            sum = plus(sum, deviation(owned(manager, owned(manager, b.transpose()).matMul(b)), manager), manager);
        }
        // peft's order: the sum divided by the number of matrices, then times the weight
        NDArray mean = owned(manager, Scalars.div(sum, as.size() + bs.size()));
        return owned(manager, Scalars.mul(mean, weight));
    }

    /** {@code ||gram - I||_F}. */
    private static NDArray deviation(NDArray gram, NDManager manager) {
        NDArray identity = manager.eye((int) gram.getShape().get(0));
        NDArray difference = owned(manager, gram.sub(identity));
        NDArray squares = owned(manager, owned(manager, difference.square()).sum());
        return owned(manager, squares.sqrt());
    }

    private static NDArray plus(NDArray sum, NDArray term, NDManager manager) {
        return sum == null ? term : owned(manager, sum.add(term));
    }

    private static NDArray owned(NDManager manager, NDArray tensor) {
        tensor.attach(manager);
        return tensor;
    }
}
