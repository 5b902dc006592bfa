package dev.vbank.vblora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Long-lived arrays (weights, parameters) whose memory libtorch owns. DJL's PyTorch engine wraps Java data in a tensor
 * that aliases a direct ByteBuffer kept alive only by the Java wrapper; a copy made by libtorch does not depend on it.
 */
public final class OwnedArrays {

    private OwnedArrays() {
    }

    public static NDArray of(NDManager manager, float[] data, Shape shape) {
        try (NDArray aliased = manager.create(data, shape)) {
            return aliased.duplicate();
        }
    }
}
