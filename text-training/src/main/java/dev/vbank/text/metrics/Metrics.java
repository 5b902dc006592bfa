package dev.vbank.text.metrics;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/**
 * Evaluation metrics on plain arrays. Classification metrics take class indices; conventions follow scikit-learn
 * (macro-F1 averages over the classes present in gold or predictions, a class with no support scores F1 0, MCC is 0
 * when undefined) and scipy (Pearson/Spearman are NaN when an input is constant; Spearman uses average ranks for ties).
 */
public final class Metrics {
    private Metrics() {}

    public static double accuracy(int[] predicted, int[] gold) {
        checkSameLength(predicted.length, gold.length);
        int correct = 0;
        for (int i = 0; i < gold.length; i++) {
            if (predicted[i] == gold[i]) {
                correct++;
            }
        }
        return (double) correct / gold.length;
    }

    /** Unweighted mean over classes of F1 = 2TP / (2TP + FP + FN). */
    public static double macroF1(int[] predicted, int[] gold, int numClasses) {
        long[][] cm = confusion(predicted, gold, numClasses);
        double sum = 0;
        int classes = 0;
        for (int k = 0; k < numClasses; k++) {
            long tp = cm[k][k];
            long goldK = 0;
            long predK = 0;
            for (int j = 0; j < numClasses; j++) {
                goldK += cm[k][j];
                predK += cm[j][k];
            }
            if (goldK == 0 && predK == 0) {
                continue;
            }
            classes++;
            sum += 2.0 * tp / (goldK + predK);
        }
        return sum / classes;
    }

    /**
     * Matthews correlation, multiclass form (Gorodkin 2004): (c·s − Σ p_k t_k) / sqrt((s² − Σ p_k²)(s² − Σ t_k²)) with
     * c correct predictions, s samples, p_k / t_k predicted / true counts of class k; equals the binary phi coefficient
     * for two classes.
     */
    public static double matthews(int[] predicted, int[] gold, int numClasses) {
        long[][] cm = confusion(predicted, gold, numClasses);
        double s = gold.length;
        double c = 0;
        double pt = 0;
        double pp = 0;
        double tt = 0;
        for (int k = 0; k < numClasses; k++) {
            c += cm[k][k];
            double p = 0;
            double t = 0;
            for (int j = 0; j < numClasses; j++) {
                t += cm[k][j];
                p += cm[j][k];
            }
            pt += p * t;
            pp += p * p;
            tt += t * t;
        }
        double denom = Math.sqrt((s * s - pp) * (s * s - tt));
        return denom == 0 ? 0 : (c * s - pt) / denom;
    }

    /** cm[gold][predicted]. */
    public static long[][] confusion(int[] predicted, int[] gold, int numClasses) {
        checkSameLength(predicted.length, gold.length);
        long[][] cm = new long[numClasses][numClasses];
        for (int i = 0; i < gold.length; i++) {
            checkClass(predicted[i], numClasses, "predicted", i);
            checkClass(gold[i], numClasses, "gold", i);
            cm[gold[i]][predicted[i]]++;
        }
        return cm;
    }

    public static double pearson(double[] x, double[] y) {
        checkSameLength(x.length, y.length);
        double mx = mean(x);
        double my = mean(y);
        double sxy = 0;
        double sxx = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            double dx = x[i] - mx;
            double dy = y[i] - my;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx == 0 || syy == 0) {
            return Double.NaN;
        }
        return sxy / Math.sqrt(sxx * syy);
    }

    /** Pearson correlation of the ranks; tied values share the average of the ranks they span. */
    public static double spearman(double[] x, double[] y) {
        checkSameLength(x.length, y.length);
        return pearson(ranks(x), ranks(y));
    }

    /** 1-based ranks with ties averaged (e.g. [10, 20, 20, 30] → [1, 2.5, 2.5, 4]). */
    public static double[] ranks(double[] v) {
        Integer[] order = IntStream.range(0, v.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble(i -> v[i]));
        double[] r = new double[v.length];
        int i = 0;
        while (i < v.length) {
            int j = i;
            while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) {
                j++;
            }
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) {
                r[order[k]] = avg;
            }
            i = j + 1;
        }
        return r;
    }

    /** Mean over rows of −log softmax(logits)[gold], computed with the log-sum-exp shift. */
    public static double crossEntropy(double[][] logits, int[] gold) {
        checkSameLength(logits.length, gold.length);
        double total = 0;
        for (int i = 0; i < gold.length; i++) {
            double[] z = logits[i];
            checkClass(gold[i], z.length, "gold", i);
            double max = Double.NEGATIVE_INFINITY;
            for (double v : z) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (double v : z) {
                sum += Math.exp(v - max);
            }
            total += max + Math.log(sum) - z[gold[i]];
        }
        return total / gold.length;
    }

    public static double mse(double[] predicted, double[] target) {
        checkSameLength(predicted.length, target.length);
        double s = 0;
        for (int i = 0; i < target.length; i++) {
            double d = predicted[i] - target[i];
            s += d * d;
        }
        return s / target.length;
    }

    /** Index of the largest value in each row (first one on ties). */
    public static int[] argmax(double[][] scores) {
        int[] out = new int[scores.length];
        for (int i = 0; i < scores.length; i++) {
            int best = 0;
            for (int k = 1; k < scores[i].length; k++) {
                if (scores[i][k] > scores[i][best]) {
                    best = k;
                }
            }
            out[i] = best;
        }
        return out;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static void checkSameLength(int a, int b) {
        if (a != b) {
            throw new IllegalArgumentException("predictions have " + a + " entries, gold has " + b);
        }
        if (a == 0) {
            throw new IllegalArgumentException("no examples to score");
        }
    }

    private static void checkClass(int k, int numClasses, String what, int row) {
        if (k < 0 || k >= numClasses) {
            throw new IllegalArgumentException(what + " class " + k + " at row " + row + " is outside [0, " + numClasses + ")");
        }
    }
}
