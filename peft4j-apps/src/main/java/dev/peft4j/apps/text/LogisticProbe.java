package dev.peft4j.apps.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.FeatureNode;
import de.bwaldvogel.liblinear.Linear;
import de.bwaldvogel.liblinear.Model;
import de.bwaldvogel.liblinear.Parameter;
import de.bwaldvogel.liblinear.Problem;
import de.bwaldvogel.liblinear.SolverType;
import dev.peft4j.core.adapter.PeftModel;
import dev.peft4j.core.nd.Tensors;
import dev.peft4j.models.bert.BertTokenizer;
import dev.peft4j.models.bert.SequenceClassifier;
import dev.peft4j.train.data.TextExample;
import dev.peft4j.train.loop.TrainResult;
import dev.peft4j.train.loop.Trainer;
import dev.peft4j.train.loop.TrainerConfig;
import dev.peft4j.train.metrics.Direction;
import dev.peft4j.train.metrics.Metrics;
import dev.peft4j.train.objective.ClassificationObjective;
import dev.peft4j.train.objective.Classifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The paper's linear probe, converged: an L2-regularised logistic regression on the frozen encoder's pooled features,
 * solved by LIBLINEAR (its primal trust-region Newton solver for {@code L2R_LR}, what scikit-learn's {@code
 * liblinear} solver runs) to a relative gradient norm of {@value #TOLERANCE}, for each C of {@link #C_GRID}; the C
 * with the best validation score in the selection metric wins, as {@code LogisticRegressionCV} would choose it on a
 * held-out split. Features are standardised with the training set's mean and deviation (so one C grid fits every
 * encoder) and the solution is folded back into the classifier's own head, so that validation and test are scored by
 * the same head and metrics as every other method (the encoder runs once per example: its output is cached).
 */
public final class LogisticProbe {

    /** The inverse regularisation strengths tried, a decade apart. */
    static final double[] C_GRID = {1e-3, 1e-2, 1e-1, 1, 10, 100};
    static final double TOLERANCE = 1e-4;

    private LogisticProbe() {
    }

    /** One example's pooled features and its label. */
    record Pooled(float[] features, int label) {
    }

    /** One C's fit: the validation metrics of the head it gives. */
    public record Fit(double c, Metrics validation) {
    }

    /**
     * Fits the head of {@code classifier} (wrapped by {@code peft} with the linear probe) on {@code train}, chooses C
     * on {@code validation} and scores {@code test}; the head holds the chosen solution afterwards.
     */
    public static TrainResult fit(SequenceClassifier classifier, PeftModel peft, BertTokenizer tokenizer,
            List<TextExample> train, List<TextExample> validation, List<TextExample> test, TrainerConfig config) {
        long start = System.nanoTime();
        List<Pooled> trainFeatures = pool(classifier, tokenizer, train, config.batchSize());
        List<Pooled> valFeatures = pool(classifier, tokenizer, validation, config.batchSize());
        List<Pooled> testFeatures = test.isEmpty() ? valFeatures : pool(classifier, tokenizer, test,
                config.batchSize());
        Trainer<Pooled> scorer = new Trainer<>(new ClassificationObjective<>(new HeadOnFeatures(classifier, peft)),
                config);
        Direction direction = scorer.metrics().stream().filter(m -> m.name().equals(config.selectionMetric()))
                .findFirst().orElseThrow().direction();
        Standardiser standardiser = Standardiser.of(trainFeatures);
        Problem problem = problem(trainFeatures, standardiser);
        Linear.disableDebugOutput();
        List<Fit> fits = new ArrayList<>();
        float[][] best = null;
        Fit bestFit = null;
        for (double c : C_GRID) {
            Parameter parameter = new Parameter(SolverType.L2R_LR, c, TOLERANCE);
            float[][] head = headWeights(Linear.train(problem, parameter), standardiser, classifier.numLabels());
            writeHead(peft, head);
            Fit fit = new Fit(c, scorer.evaluate(valFeatures));
            fits.add(fit);
            double score = fit.validation().get(config.selectionMetric());
            if (direction.isBetter(score, bestFit == null ? direction.worst()
                    : bestFit.validation().get(config.selectionMetric()))) {
                bestFit = fit;
                best = head;
            }
        }
        if (best == null) {
            throw new IllegalStateException("No C of " + java.util.Arrays.toString(C_GRID) + " gave a usable "
                    + "validation " + config.selectionMetric() + ": " + fits);
        }
        writeHead(peft, best);
        double wall = (System.nanoTime() - start) / 1e9;
        Metrics bestVal = bestFit.validation();
        System.err.printf(Locale.ROOT, "peft4j: logistic probe, validation %s by C: %s; chose C = %g%n",
                config.selectionMetric(), fits.stream().map(f -> String.format(Locale.ROOT, "%g: %.4f", f.c(),
                        f.validation().get(config.selectionMetric()))).toList(), bestFit.c());
        double trainLoss = scorer.evaluate(trainFeatures).loss();
        Metrics testMetrics = scorer.evaluate(testFeatures);
        long headParams = peft.headParameters().values().stream().mapToLong(t -> t.getShape().size()).sum();
        long adapterParams = peft.adapterParameters().values().stream().mapToLong(t -> t.getShape().size()).sum();
        return new TrainResult(1, config.selectionMetric(), bestVal, testMetrics,
                List.of(new TrainResult.EpochRecord(1, trainLoss, bestVal)), adapterParams, headParams, wall,
                train.size() / wall, false);
    }

    /** The encoder's pooled output for each example, without dropout or gradients. */
    static List<Pooled> pool(SequenceClassifier classifier, BertTokenizer tokenizer, List<TextExample> examples,
            int batchSize) {
        List<Pooled> out = new ArrayList<>(examples.size());
        for (int from = 0; from < examples.size(); from += batchSize) {
            List<TextExample> batch = examples.subList(from, Math.min(examples.size(), from + batchSize));
            try (NDManager manager = classifier.manager().newSubManager()) {
                List<String> texts = batch.stream().map(TextExample::text).toList();
                BertTokenizer.Batch encoded = batch.get(0).textPair() == null ? tokenizer.encode(texts)
                        : tokenizer.encodePairs(texts, batch.stream().map(TextExample::textPair).toList());
                NDList inputs = encoded.toNDList(manager);
                NDArray hidden = classifier.encoder().forward(inputs.get(0), inputs.get(1), inputs.get(2), false);
                float[] pooled = classifier.pool(hidden, inputs.get(1)).toFloatArray();
                int width = pooled.length / batch.size();
                for (int i = 0; i < batch.size(); i++) {
                    out.add(new Pooled(java.util.Arrays.copyOfRange(pooled, i * width, (i + 1) * width),
                            batch.get(i).label()));
                }
            }
        }
        return out;
    }

    /** Per-feature mean and standard deviation of the training features (a constant feature keeps deviation 1). */
    record Standardiser(double[] mean, double[] deviation) {
        static Standardiser of(List<Pooled> rows) {
            int width = rows.get(0).features().length;
            double[] mean = new double[width];
            double[] squares = new double[width];
            for (Pooled row : rows) {
                for (int j = 0; j < width; j++) {
                    mean[j] += row.features()[j];
                    squares[j] += (double) row.features()[j] * row.features()[j];
                }
            }
            double[] deviation = new double[width];
            for (int j = 0; j < width; j++) {
                mean[j] /= rows.size();
                double variance = squares[j] / rows.size() - mean[j] * mean[j];
                deviation[j] = variance > 1e-12 ? Math.sqrt(variance) : 1;
            }
            return new Standardiser(mean, deviation);
        }
    }

    private static Problem problem(List<Pooled> rows, Standardiser s) {
        Problem problem = new Problem();
        problem.l = rows.size();
        problem.n = s.mean().length + 1; // the last feature is the bias
        problem.bias = 1;
        problem.x = new Feature[rows.size()][];
        problem.y = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            float[] x = rows.get(i).features();
            Feature[] features = new Feature[x.length + 1];
            for (int j = 0; j < x.length; j++) {
                features[j] = new FeatureNode(j + 1, (x[j] - s.mean()[j]) / s.deviation()[j]);
            }
            features[x.length] = new FeatureNode(x.length + 1, 1);
            problem.x[i] = features;
            problem.y[i] = rows.get(i).label();
        }
        return problem;
    }

    /**
     * The solution as the head's rows [numLabels][hidden + 1] (the bias last) on raw features. Two classes: LIBLINEAR
     * keeps one vector w for its first label, P(first) = sigmoid(w.x); rows +w/2 and -w/2 give the same
     * probability under softmax. More classes: one-vs-rest vectors, one row each (the same arg max).
     */
    static float[][] headWeights(Model model, Standardiser s, int numLabels) {
        int width = s.mean().length;
        double[] w = model.getFeatureWeights(); // [feature * nr_w + class], the bias feature last
        int[] labels = model.getLabels();
        if (labels.length < 2) {
            throw new IllegalArgumentException("The logistic probe needs training examples of at least two classes, "
                    + "found only class " + (labels.length == 0 ? "(none)" : labels[0]) + "; use more or other "
                    + "training data (--max-train)");
        }
        int classes = labels.length == 2 ? 1 : labels.length;
        float[][] head = new float[numLabels][width + 1];
        for (int k = 0; k < classes; k++) {
            double[] raw = new double[width + 1];
            double bias = w[width * classes + k];
            for (int j = 0; j < width; j++) {
                raw[j] = w[j * classes + k] / s.deviation()[j];
                bias -= raw[j] * s.mean()[j];
            }
            raw[width] = bias;
            for (int j = 0; j <= width; j++) {
                if (classes == 1) {
                    head[labels[0]][j] = (float) (raw[j] / 2);
                    head[labels[1]][j] = (float) (-raw[j] / 2);
                } else {
                    head[labels[k]][j] = (float) raw[j];
                }
            }
        }
        return head;
    }

    /** Writes rows [numLabels][hidden + 1] into the adapter's head copy ({@code *.weight}, {@code *.bias}). */
    private static void writeHead(PeftModel peft, float[][] head) {
        int width = head[0].length - 1;
        float[] weight = new float[head.length * width];
        float[] bias = new float[head.length];
        for (int k = 0; k < head.length; k++) {
            System.arraycopy(head[k], 0, weight, k * width, width);
            bias[k] = head[k][width];
        }
        Map<String, NDArray> params = peft.headParameters();
        List<String> names = params.keySet().stream().toList();
        NDArray weightTensor = only(params, names, ".weight");
        NDArray biasTensor = only(params, names, ".bias");
        Tensors.overwrite(weightTensor, weight);
        Tensors.overwrite(biasTensor, bias);
    }

    private static NDArray only(Map<String, NDArray> params, List<String> names, String suffix) {
        List<String> matching = names.stream().filter(n -> n.endsWith(suffix)).toList();
        if (matching.size() != 1) {
            throw new IllegalStateException("The logistic probe expects one head weight and one head bias, found "
                    + "head parameters " + names);
        }
        return params.get(matching.get(0));
    }

    /** The classifier's head applied to cached pooled features: the same slot and metrics, no encoder pass. */
    private record HeadOnFeatures(SequenceClassifier classifier, PeftModel peft) implements Classifier<Pooled> {
        @Override
        public NDArray logits(List<Pooled> batch, NDManager manager, boolean training) {
            int width = batch.get(0).features().length;
            float[] flat = new float[batch.size() * width];
            for (int i = 0; i < batch.size(); i++) {
                System.arraycopy(batch.get(i).features(), 0, flat, i * width, width);
            }
            return classifier.head().forward(manager.create(flat, new Shape(batch.size(), width)));
        }

        @Override
        public int label(Pooled example) {
            return example.label();
        }

        @Override
        public int numLabels() {
            return classifier.numLabels();
        }

        @Override
        public PeftModel peftModel() {
            return peft;
        }
    }
}
