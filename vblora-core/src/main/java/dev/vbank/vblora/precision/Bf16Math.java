package dev.vbank.vblora.precision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import dev.vbank.vblora.layer.Scalars;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The base model's matrix products in bfloat16, as PyTorch's CPU autocast runs them: a linear layer's input, weight
 * and bias in bf16 and its output left in bf16, so that a bf16 activation (the FFN's inner layer through GELU, the
 * attention context) feeds the next product without a round trip; attention's two batched products in bf16 around an
 * fp32 softmax. Frozen weights are cast once and kept; an fp32 input is cast once per array (query, key and value
 * read the same one; callers never change an input in place between layers). Gradients flow back through every cast
 * into fp32 parameters.
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
        return Linear.linear(bf16(x), w, b).singletonOrThrow();
    }

    @Override
    public NDArray attention(NDArray queries, NDArray keysT, NDArray values, float scale, NDArray maskBias) {
        NDArray scores = NativeCasts.toFp32(bf16(queries).matMul(bf16(keysT)));
        NDArray probs = Scalars.mul(scores, scale).addi(maskBias).softmax(-1);
        return NativeCasts.toBf16(probs).matMul(bf16(values));
    }

    @Override
    public NDArray fp32(NDArray activation) {
        return isFp32(activation) ? activation : NativeCasts.toFp32(activation);
    }

    private NDArray bf16(NDArray x) {
        if (!isFp32(x)) {
            return x;
        }
        if (x != lastInput) {
            lastInput = x;
            lastInputBf16 = NativeCasts.toBf16(x);
        }
        return lastInputBf16;
    }

    /** DJL names no bfloat16 type: the only arrays here that are not fp32 are this math's bf16 ones. */
    private static boolean isFp32(NDArray x) {
        return x.getDataType() == DataType.FLOAT32;
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
