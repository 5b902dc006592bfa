package dev.vbank.vblora.precision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import dev.vbank.vblora.layer.Scalars;

/**
 * The frozen base model's matrix products, computed in one {@link Precision}: its linear layers, x Wᵀ + bias, and
 * the attention between them. What they return is an activation in the math's own precision; {@link #fp32} turns it
 * into fp32 where fp32 must go on (an adapter's update, the residual stream).
 */
public interface BaseMath extends AutoCloseable {

    BaseMath FP32 = new BaseMath() {
        @Override
        public NDArray linear(NDArray x, NDArray weight, NDArray bias) {
            return Linear.linear(x, weight, bias).singletonOrThrow();
        }

        @Override
        public NDArray attention(NDArray queries, NDArray keysT, NDArray values, float scale, NDArray maskBias) {
            return Scalars.mul(queries, scale).matMul(keysT).addi(maskBias).softmax(-1).matMul(values);
        }

        @Override
        public NDArray fp32(NDArray activation) {
            return activation;
        }
    };

    /**
     * x Wᵀ + bias in {@code x}'s manager; {@code x} is fp32 or an activation of this math, {@code weight} and
     * {@code bias} are frozen fp32 arrays.
     */
    NDArray linear(NDArray x, NDArray weight, NDArray bias);

    /**
     * softmax(scale · Q Kᵀ + maskBias) V for queries (B, heads, L, d), keys already transposed (B, heads, d, L) and
     * values (B, heads, L, d), each fp32 or an activation of this math; the softmax runs in fp32.
     */
    NDArray attention(NDArray queries, NDArray keysT, NDArray values, float scale, NDArray maskBias);

    /** {@code activation} as fp32: itself when it is fp32 already. */
    NDArray fp32(NDArray activation);

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
