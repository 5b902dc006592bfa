package dev.vbank.vblora.precision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;

/** The frozen base model's linear layers, x Wᵀ + bias, computed in one {@link Precision}. */
public interface BaseMath extends AutoCloseable {

    BaseMath FP32 = (x, weight, bias) -> Linear.linear(x, weight, bias).singletonOrThrow();

    /** x Wᵀ + bias as fp32, in {@code x}'s manager; {@code weight} and {@code bias} are frozen fp32 arrays. */
    NDArray linear(NDArray x, NDArray weight, NDArray bias);

    /** Drops anything derived from the base weights' values (call it after the weights change in place). */
    default void forgetWeights() {
    }

    @Override
    default void close() {
    }

    /**
     * The math for {@code precision}; a bf16 one keeps bf16 copies of the weights it has seen on a sub-manager of
     * {@code parent} until closed. Throws {@link PrecisionUnavailableException} when this build or machine cannot.
     */
    static BaseMath open(Precision precision, NDManager parent) {
        return switch (precision) {
            case FP32 -> FP32;
            case BF16 -> new Bf16Math(parent);
        };
    }
}
