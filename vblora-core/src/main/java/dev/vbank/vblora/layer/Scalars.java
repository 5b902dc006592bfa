package dev.vbank.vblora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalars for ops inside the autograd graph. DJL 0.36's {@code NDArray.mul(Number)} (and the other Number overloads)
 * wraps the number in a tensor that aliases a Java direct buffer and closes it right after the op; autograd keeps that
 * tensor for the backward pass, so once the garbage collector frees the buffer the backward pass reads freed memory
 * (seen as sporadic Inf/NaN gradients). A scalar made by libtorch ({@code full}) owns its memory.
 */
public final class Scalars {

    private Scalars() {
    }

    /** A 0-d array holding {@code value}, in the manager and dtype of {@code like}. */
    public static NDArray like(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, like.getDataType());
    }

    /** {@code x · value}, safe to differentiate. */
    public static NDArray mul(NDArray x, float value) {
        try (NDArray s = like(x, value)) {
            return x.mul(s);
        }
    }
}
