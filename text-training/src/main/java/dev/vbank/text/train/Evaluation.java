package dev.vbank.text.train;

import dev.vbank.text.data.TaskType;

/**
 * Metrics over one evaluation set. Classification fills accuracy, macro-F1, MCC and the cross-entropy loss; regression
 * fills Pearson, Spearman and MSE (its loss). Unused metrics are NaN.
 */
public record Evaluation(TaskType task, int examples, double loss, double accuracy, double macroF1, double mcc,
                         double pearson, double spearman, double mse) {

    /** The metric best-checkpoint selection maximizes: accuracy for classification, Pearson for regression. */
    public double primary() {
        return task == TaskType.CLASSIFICATION ? accuracy : pearson;
    }

    public String primaryName() {
        return task == TaskType.CLASSIFICATION ? "accuracy" : "pearson";
    }
}
