package dev.vbank.vblora.layer;

import java.util.Arrays;

/**
 * The top-k bank vectors chosen for each sub-vector of one logits tensor, in descending logit order, with their softmax
 * weights. {@code shape} is the logits shape with its last axis replaced by k; both arrays are row-major over it.
 */
public record TopkSelection(long[] shape, long[] indices, float[] weights) {

    public TopkSelection {
        long n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        if (indices.length != n || weights.length != n) {
            throw new IllegalArgumentException("top-k arrays hold " + indices.length + " indices and " + weights.length
                    + " weights, shape " + Arrays.toString(shape) + " needs " + n);
        }
    }

    public int k() {
        return (int) shape[shape.length - 1];
    }

    public int numSubvectors() {
        return indices.length / k();
    }
}
