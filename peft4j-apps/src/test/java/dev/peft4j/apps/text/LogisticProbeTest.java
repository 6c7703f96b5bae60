package dev.peft4j.apps.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import de.bwaldvogel.liblinear.Feature;
import de.bwaldvogel.liblinear.FeatureNode;
import de.bwaldvogel.liblinear.Linear;
import de.bwaldvogel.liblinear.Model;
import de.bwaldvogel.liblinear.Parameter;
import de.bwaldvogel.liblinear.Problem;
import de.bwaldvogel.liblinear.SolverType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The solution folded into a softmax head gives LIBLINEAR's own probabilities and decisions on raw features. */
class LogisticProbeTest {

    /** Points around one centre per class, offset and scaled so that standardising matters. */
    private static List<LogisticProbe.Pooled> points(int classes, int perClass, long seed) {
        Random random = new Random(seed);
        List<LogisticProbe.Pooled> out = new ArrayList<>();
        for (int i = 0; i < classes * perClass; i++) {
            int label = i % classes;
            float[] x = new float[3];
            for (int j = 0; j < 3; j++) {
                x[j] = (float) (100 + 40 * j + (j == label ? 3 : 0) + random.nextGaussian() * (1 + j));
            }
            out.add(new LogisticProbe.Pooled(x, label));
        }
        return out;
    }

    /** The problem LogisticProbe solves: standardised features and a bias feature. */
    private static Model solve(List<LogisticProbe.Pooled> rows, LogisticProbe.Standardiser s, double c) {
        Problem problem = new Problem();
        problem.l = rows.size();
        problem.n = 4;
        problem.bias = 1;
        problem.x = new Feature[rows.size()][];
        problem.y = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            problem.x[i] = standardised(rows.get(i).features(), s);
            problem.y[i] = rows.get(i).label();
        }
        Linear.disableDebugOutput();
        return Linear.train(problem, new Parameter(SolverType.L2R_LR, c, 1e-6));
    }

    private static Feature[] standardised(float[] x, LogisticProbe.Standardiser s) {
        Feature[] f = new Feature[x.length + 1];
        for (int j = 0; j < x.length; j++) {
            f[j] = new FeatureNode(j + 1, (x[j] - s.mean()[j]) / s.deviation()[j]);
        }
        f[x.length] = new FeatureNode(x.length + 1, 1);
        return f;
    }

    private static double[] softmax(float[][] head, float[] x) {
        double[] logits = new double[head.length];
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < head.length; k++) {
            double z = head[k][x.length];
            for (int j = 0; j < x.length; j++) {
                z += (double) head[k][j] * x[j];
            }
            logits[k] = z;
            max = Math.max(max, z);
        }
        double sum = 0;
        for (int k = 0; k < logits.length; k++) {
            logits[k] = Math.exp(logits[k] - max);
            sum += logits[k];
        }
        for (int k = 0; k < logits.length; k++) {
            logits[k] /= sum;
        }
        return logits;
    }

    @Test
    void twoClassesGiveLiblinearsProbabilities() {
        List<LogisticProbe.Pooled> rows = points(2, 40, 1);
        LogisticProbe.Standardiser s = LogisticProbe.Standardiser.of(rows);
        Model model = solve(rows, s, 1);
        float[][] head = LogisticProbe.headWeights(model, s, 2);
        for (LogisticProbe.Pooled row : points(2, 10, 2)) {
            double[] expected = new double[2];
            Linear.predictProbability(model, standardised(row.features(), s), expected);
            int[] labels = model.getLabels();
            double[] actual = softmax(head, row.features());
            // float weights on features near 100: about 1e-7 relative per product, summed over 3 features
            for (int k = 0; k < 2; k++) {
                assertEquals(expected[k], actual[labels[k]], 1e-4, "class " + labels[k]);
            }
        }
    }

    @Test
    void moreClassesGiveLiblinearsDecisions() {
        List<LogisticProbe.Pooled> rows = points(3, 40, 3);
        LogisticProbe.Standardiser s = LogisticProbe.Standardiser.of(rows);
        Model model = solve(rows, s, 10);
        float[][] head = LogisticProbe.headWeights(model, s, 3);
        int agreed = 0;
        List<LogisticProbe.Pooled> test = points(3, 20, 4);
        for (LogisticProbe.Pooled row : test) {
            double[] p = softmax(head, row.features());
            int argmax = p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
            if (argmax == (int) Linear.predict(model, standardised(row.features(), s))) {
                agreed++;
            }
        }
        assertEquals(test.size(), agreed, "one-vs-rest rows keep LIBLINEAR's arg max");
    }

    @Test
    void aConstantFeatureDoesNotDivideByZero() {
        List<LogisticProbe.Pooled> rows = List.of(new LogisticProbe.Pooled(new float[] {1, 5}, 0),
                new LogisticProbe.Pooled(new float[] {3, 5}, 1));
        LogisticProbe.Standardiser s = LogisticProbe.Standardiser.of(rows);
        assertEquals(2, s.mean()[0], 0);
        assertEquals(1, s.deviation()[0], 0);
        assertEquals(1, s.deviation()[1], 0, "a constant feature keeps deviation 1");
    }

    @Test
    void trainingDataOfOneClassIsRefusedByName() {
        List<LogisticProbe.Pooled> rows = List.of(new LogisticProbe.Pooled(new float[] {1, 2, 3}, 1),
                new LogisticProbe.Pooled(new float[] {2, 3, 4}, 1));
        LogisticProbe.Standardiser s = LogisticProbe.Standardiser.of(rows);
        Model model = solve(rows, s, 1);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> LogisticProbe.headWeights(model, s, 2));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("at least two classes"), e.getMessage());
    }
}
