package dev.vbank.vblora.precision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A linear layer as PyTorch's CPU autocast runs it: input, weight and bias in bfloat16, the result cast back to fp32.
 * The weights and biases are frozen, so each is cast once and kept; the input is cast once per array (query, key and
 * value read the same one; callers never change an input in place between layers) and its gradient flows back
 * through the cast in fp32.
 */
final class Bf16Math implements BaseMath {

    private final NDManager parent;
    private final Map<NDArray, NDArray> frozenCopies = new IdentityHashMap<>();
    private NDManager copies;
    private NDArray lastInput;
    private NDArray lastInputBf16;

    Bf16Math(NDManager parent) {
        NativeCasts.require();
        this.parent = parent;
        this.copies = parent.newSubManager();
    }

    @Override
    public NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        NDArray w = frozen(weight);
        NDArray b = bias == null ? null : frozen(bias);
        if (x != lastInput) {
            lastInput = x;
            lastInputBf16 = NativeCasts.toBf16(x);
        }
        return NativeCasts.toFp32(Linear.linear(lastInputBf16, w, b).singletonOrThrow());
    }

    private NDArray frozen(NDArray fp32) {
        return frozenCopies.computeIfAbsent(fp32, a -> NativeCasts.toBf16(a, copies));
    }

    @Override
    public void forgetWeights() {
        frozenCopies.clear();
        copies.close();
        copies = parent.newSubManager();
    }

    @Override
    public void close() {
        frozenCopies.clear();
        lastInput = null;
        lastInputBf16 = null;
        copies.close();
    }
}
