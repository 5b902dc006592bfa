package dev.vbank.vblora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.layer.Init;
import dev.vbank.vblora.layer.OwnedArrays;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A linear classification (numLabels ≥ 2) or regression (numLabels = 1) head on the pooled encoder output. State names:
 * {@value #WEIGHT} (numLabels, hidden) and {@value #BIAS} (numLabels).
 */
public final class ClassificationHead implements AutoCloseable {

    public static final String WEIGHT = "classifier.weight";
    public static final String BIAS = "classifier.bias";

    private final NDManager manager;
    private final Pooling pooling;
    private final NDArray weight;
    private final NDArray bias;

    private ClassificationHead(NDManager manager, Pooling pooling, NDArray weight, NDArray bias) {
        this.manager = manager;
        this.pooling = pooling;
        this.weight = weight;
        this.bias = bias;
        weight.setRequiresGradient(true);
        bias.setRequiresGradient(true);
    }

    /** Weight ~ N(0, 0.02²) from {@code seed}, bias 0. */
    public static ClassificationHead create(NDManager parent, int hidden, int numLabels, Pooling pooling, long seed) {
        if (numLabels < 1) {
            throw new IllegalArgumentException("num_labels: must be >= 1, was " + numLabels);
        }
        NDManager manager = parent.newSubManager();
        NDArray w = OwnedArrays.of(manager, Init.normal(new Random(seed), (long) numLabels * hidden, 0.02),
                new Shape(numLabels, hidden));
        return new ClassificationHead(manager, pooling, w, manager.zeros(new Shape(numLabels)));
    }

    public static ClassificationHead fromState(NDManager parent, int hidden, Pooling pooling, Map<String, Tensor> state) {
        Tensor w = state.get(WEIGHT);
        Tensor b = state.get(BIAS);
        if (w == null || b == null) {
            throw new IllegalArgumentException((w == null ? WEIGHT : BIAS) + ": missing from the head state");
        }
        if (w.rank() != 2 || w.dim(1) != hidden) {
            throw new IllegalArgumentException(WEIGHT + ": expected shape [num_labels, " + hidden + "], got "
                    + w.shapeString());
        }
        b.requireShape(BIAS, w.dim(0));
        NDManager manager = parent.newSubManager();
        return new ClassificationHead(manager, pooling, OwnedArrays.of(manager, w.data(), new Shape(w.shape())),
                OwnedArrays.of(manager, b.data(), new Shape(b.shape())));
    }

    public int numLabels() {
        return (int) weight.getShape().get(0);
    }

    public Pooling pooling() {
        return pooling;
    }

    public List<TrainableParameter> parameters() {
        return List.of(new TrainableParameter(WEIGHT, weight, ParamGroup.HEAD),
                new TrainableParameter(BIAS, bias, ParamGroup.HEAD));
    }

    /** (B, numLabels) from hidden states (B, L, H) and the attention mask (B, L). */
    public NDArray forward(NDArray hidden, NDArray attentionMask) {
        NDArray pooled = pool(hidden, attentionMask, pooling);
        return Linear.linear(pooled, weight, bias).singletonOrThrow();
    }

    public static NDArray pool(NDArray hidden, NDArray attentionMask, Pooling pooling) {
        if (pooling == Pooling.CLS) {
            return hidden.get(":, 0, :");
        }
        NDArray mask = attentionMask.toType(DataType.FLOAT32, false).expandDims(-1);
        NDArray summed = hidden.mul(mask).sum(new int[] {1});
        NDArray counts = mask.sum(new int[] {1}).maximum(1e-9f);
        return summed.div(counts);
    }

    public Map<String, Tensor> exportState() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put(WEIGHT, new Tensor(weight.getShape().getShape(), weight.toFloatArray()));
        out.put(BIAS, new Tensor(bias.getShape().getShape(), bias.toFloatArray()));
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
