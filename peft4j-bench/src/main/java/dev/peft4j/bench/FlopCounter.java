package dev.peft4j.bench;

import java.util.List;
import java.util.function.BiPredicate;

/**
 * Analytic FLOP count of a BERT encoder with a pooled classification head, for one forward pass or one training step,
 * so that a measured time becomes achieved GFLOP/s comparable with the GEMM ceiling.
 *
 * <p>Convention (a multiply-add is 2 FLOPs, {@code T = batch * seq} tokens, {@code s} = seq, {@code h} = hidden):
 * <ul>
 *   <li>a linear {@code [m, n]}: {@code 2 m n T} forward; backward {@code 2 m n T} for the input gradient when its
 *       input needs one, and {@code 2 m n T} for the weight gradient when the weight trains (full fine-tuning);</li>
 *   <li>an adapter of rank {@code r} on it ({@code r} capped at {@code min(m, n)}): {@code 2 r (m + n) T} forward;
 *       backward {@code 2 r m T} for the gradient of its r-wide activation (what z or LoRA's factors need),
 *       {@code 2 r n T} more when the input needs a gradient, and {@code 2 r (m + n) T} more when its factors train
 *       (LoRA's A and B);</li>
 *   <li>attention, per sequence and layer: {@code Q K^T} and {@code P V} cost {@code 2 s^2 h} each forward; backward
 *       {@code 2 s^2 h} per operand that needs a gradient ({@code P} needs one when {@code Q} or {@code K} does);</li>
 *   <li>the head {@code [labels, h]} runs once per sequence, and always trains.</li>
 * </ul>
 * An input needs a gradient when something before it trains: the embeddings (full fine-tuning) or any earlier
 * linear or adapter. So with adapters only, layer 0's Q/K/V projections never compute an input gradient, and full
 * fine-tuning costs exactly three forward passes. Not counted: LayerNorm, GELU, softmax, dropout, residual adds,
 * embedding look-ups and the optimiser, which are O(T h) per layer (about 1% of the FLOPs at h = 384, s = 128) but
 * memory-bound, so they show up in the time, not here.
 */
final class FlopCounter {

    /** Linear modules of one encoder layer, in forward order, as Hugging Face names them. */
    static final List<String> MODULES = List.of("attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "intermediate.dense", "output.dense");

    /** Sizes of the encoder and of the batch. */
    record ModelShape(int layers, int hidden, int ffn, int labels, int batch, int seq) {

        /** all-MiniLM-L6-v2 with a 2-label head. */
        static ModelShape miniLm(int batch, int seq) {
            return new ModelShape(6, 384, 1536, 2, batch, seq);
        }
    }

    /**
     * What trains.
     *
     * @param rank adapter rank (capped per layer at min(m, n)); 0 when there is no adapter
     * @param adapted which (layer index, module name from {@link #MODULES}) pairs carry an adapter
     * @param factorsTrain the adapter's factors train (LoRA's A and B); false for LoLDU, whose factors are frozen
     * @param fullFineTune every base weight and the embeddings train
     */
    record Plan(int rank, BiPredicate<Integer, String> adapted, boolean factorsTrain, boolean fullFineTune) {

        static Plan headOnly() {
            return new Plan(0, (layer, module) -> false, false, false);
        }

        static Plan adapters(int rank, List<String> modules, boolean factorsTrain) {
            return new Plan(rank, (layer, module) -> modules.contains(module), factorsTrain, false);
        }

        static Plan allWeights() {
            return new Plan(0, (layer, module) -> false, false, true);
        }
    }

    /** FLOPs of one step, split into forward and backward. */
    record Count(double forward, double backward) {

        double total() {
            return forward + backward;
        }
    }

    private final ModelShape shape;
    private final Plan plan;
    private double forward;
    private double backward;

    private FlopCounter(ModelShape shape, Plan plan) {
        this.shape = shape;
        this.plan = plan;
    }

    /** Forward plus backward of one training step (the optimiser is not counted). */
    static Count trainingStep(ModelShape shape, Plan plan) {
        FlopCounter counter = new FlopCounter(shape, plan);
        counter.walk(true);
        return new Count(counter.forward, counter.backward);
    }

    /** One forward pass with the plan's adapters unmerged (a merged model is {@link Plan#headOnly()}). */
    static double inference(ModelShape shape, Plan plan) {
        FlopCounter counter = new FlopCounter(shape, plan);
        counter.walk(false);
        return counter.forward;
    }

    private void walk(boolean training) {
        int h = shape.hidden();
        boolean grad = training && plan.fullFineTune(); // does the embedding output need a gradient?
        for (int layer = 0; layer < shape.layers(); layer++) {
            boolean q = linear(layer, MODULES.get(0), h, h, grad, training);
            boolean k = linear(layer, MODULES.get(1), h, h, grad, training);
            boolean v = linear(layer, MODULES.get(2), h, h, grad, training);
            double matmul = 2.0 * shape.seq() * shape.seq() * h * shape.batch(); // one of Q K^T or P V
            forward += 2 * matmul;
            backward += matmul * ((q ? 1 : 0) + (k ? 1 : 0) + (q || k ? 1 : 0) + (v ? 1 : 0));
            boolean context = q || k || v;
            boolean attended = grad | linear(layer, MODULES.get(3), h, h, context, training); // residual add
            boolean inner = linear(layer, MODULES.get(4), shape.ffn(), h, attended, training);
            grad = attended | linear(layer, MODULES.get(5), h, shape.ffn(), inner, training);
        }
        double head = 2.0 * shape.labels() * h * shape.batch();
        forward += head;
        if (training) {
            backward += head * (grad ? 2 : 1); // weight gradient always, input gradient if the encoder trains
        }
    }

    /** Adds one linear layer's FLOPs; returns whether its output needs a gradient. */
    private boolean linear(int layer, String module, int m, int n, boolean inputGrad, boolean training) {
        double tokens = (double) shape.batch() * shape.seq();
        forward += 2.0 * m * n * tokens;
        boolean adapted = plan.rank() > 0 && plan.adapted().test(layer, module);
        if (adapted) {
            int r = Math.min(plan.rank(), Math.min(m, n));
            forward += 2.0 * r * (m + n) * tokens;
            if (training) {
                backward += 2.0 * r * m * tokens + (inputGrad ? 2.0 * r * n * tokens : 0)
                        + (plan.factorsTrain() ? 2.0 * r * (m + n) * tokens : 0);
            }
        }
        if (training) {
            backward += (inputGrad ? 2.0 * m * n * tokens : 0) + (plan.fullFineTune() ? 2.0 * m * n * tokens : 0);
        }
        return inputGrad || adapted || plan.fullFineTune();
    }
}
