package dev.vbank.text.train;

import ai.djl.ndarray.NDManager;
import dev.vbank.text.data.Dataset;
import dev.vbank.text.data.TaskType;
import dev.vbank.text.metrics.Metrics;
import dev.vbank.vblora.model.AdaptedEncoder;

/** Runs a model over a labelled dataset in file order, without gradients, and scores it. */
public final class Evaluator {

    private Evaluator() {
    }

    public static Evaluation evaluate(NDManager parent, AdaptedEncoder model, Dataset data, Batches batches) {
        int n = data.size();
        int numLabels = model.head().numLabels();
        double[][] logits = new double[n][];
        int row = 0;
        for (Batches.LabeledBatch b : batches.inOrder()) {
            float[] out = model.predict(parent, FineTuner.toCoreBatch(b));
            for (int i = 0; i < b.batch().size(); i++) {
                double[] z = new double[numLabels];
                for (int k = 0; k < numLabels; k++) {
                    z[k] = out[i * numLabels + k];
                }
                logits[row++] = z;
            }
        }
        if (data.task() == TaskType.CLASSIFICATION) {
            int[] gold = data.labelIndices();
            int[] pred = Metrics.argmax(logits);
            return new Evaluation(TaskType.CLASSIFICATION, n, Metrics.crossEntropy(logits, gold),
                    Metrics.accuracy(pred, gold), Metrics.macroF1(pred, gold, numLabels),
                    Metrics.matthews(pred, gold, numLabels), Double.NaN, Double.NaN, Double.NaN);
        }
        double[] gold = data.targets();
        double[] pred = new double[n];
        for (int i = 0; i < n; i++) {
            pred[i] = logits[i][0];
        }
        double mse = Metrics.mse(pred, gold);
        return new Evaluation(TaskType.REGRESSION, n, mse, Double.NaN, Double.NaN, Double.NaN,
                Metrics.pearson(pred, gold), Metrics.spearman(pred, gold), mse);
    }
}
