package dev.vbank.vblora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Mean cross-entropy over classes (numLabels ≥ 2) or mean squared error (one output). */
public final class Losses {

    private Losses() {
    }

    /** {@code labels} (B) hold class indices for classification or targets for regression. */
    public static NDArray loss(NDArray logits, NDArray labels) {
        long numLabels = logits.getShape().get(1);
        if (numLabels == 1) {
            NDArray diff = logits.reshape(-1).sub(labels.toType(DataType.FLOAT32, false));
            return diff.square().mean();
        }
        NDArray logProbs = logits.logSoftmax(1);
        NDArray index = labels.toType(DataType.INT64, false).reshape(-1, 1);
        return logProbs.gather(index, 1).mean().neg();
    }
}
