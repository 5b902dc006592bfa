package dev.vbank.vblora.precision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * x Wᵀ in bfloat16 with the result and the bias add in fp32, as PyTorch's CPU autocast runs a linear layer. The
 * weights are frozen, so each is cast once and kept; the input is cast every call and its gradient flows back through
 * the cast in fp32.
 */
final class Bf16Math implements BaseMath {

    private final NDManager parent;
    private final Map<NDArray, NDArray> bf16Weights = new IdentityHashMap<>();
    private NDManager copies;

    Bf16Math(NDManager parent) {
        NativeCasts.require();
        this.parent = parent;
        this.copies = parent.newSubManager();
    }

    @Override
    public NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        NDArray w = bf16Weights.computeIfAbsent(weight, fp32 -> NativeCasts.toBf16(fp32, copies));
        NDArray y = NativeCasts.toFp32(Linear.linear(NativeCasts.toBf16(x), w).singletonOrThrow());
        return bias == null ? y : y.addi(bias);
    }

    @Override
    public void forgetWeights() {
        bf16Weights.clear();
        copies.close();
        copies = parent.newSubManager();
    }

    @Override
    public void close() {
        bf16Weights.clear();
        copies.close();
    }
}
