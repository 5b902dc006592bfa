package dev.vbank.vblora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/**
 * The VB-LoRA math on DJL arrays, in the Hugging Face PEFT tensor layout:
 * <pre>
 *   bank (h, b);  logits_A (r, in/b, h) → A (r, in);  logits_B (out/b, r, h) → B (out, r)
 *   compose(l) = Σ_j softmax(topk(l, k).values)_j · bank[topk(l, k).indices_j]
 *   y = x Wᵀ + bias + (x Aᵀ) Bᵀ
 * </pre>
 * Every op is differentiable through DJL's autograd; results belong to the manager of the first operand, so callers put the
 * operands of one training step into a per-step manager.
 */
public final class VbloraOps {

    private VbloraOps() {
    }

    /**
     * Composes every sub-vector of a logits tensor (any leading dims, last = h) from the bank in one top-k, one softmax and
     * one gather: the result has the leading dims of {@code logits} and last dim b.
     */
    public static NDArray compose(NDArray bank, NDArray logits, int topk) {
        checkBankAndLogits(bank, logits, topk);
        NDList top = logits.topK(topk, -1, true, true);
        try (NDArray values = top.get(0); NDArray indices = top.get(1)) {
            NDArray weights = values.softmax(-1);
            NDArray picked = bank.get(indices);
            NDArray composed = weights.expandDims(-1).mul(picked).sum(new int[] {-2});
            weights.close();
            picked.close();
            return composed;
        }
    }

    /** A (r, in) from logits_A (r, in/b, h). */
    public static NDArray composeA(NDArray bank, NDArray logitsA, int topk) {
        Shape s = logitsA.getShape();
        requireRank("logits_A", s, 3);
        long b = bank.getShape().get(1);
        try (NDArray composed = compose(bank, logitsA, topk)) {
            return composed.reshape(s.get(0), s.get(1) * b);
        }
    }

    /** B (out, r) from logits_B (out/b, r, h). */
    public static NDArray composeB(NDArray bank, NDArray logitsB, int topk) {
        Shape s = logitsB.getShape();
        requireRank("logits_B", s, 3);
        long b = bank.getShape().get(1);
        try (NDArray composed = compose(bank, logitsB, topk); NDArray t = composed.transpose(0, 2, 1)) {
            return t.reshape(s.get(0) * b, s.get(1));
        }
    }

    /** y = x Wᵀ + bias + (x Aᵀ) Bᵀ; {@code bias} may be null. The low-rank path never forms B A. */
    public static NDArray adaptedLinear(NDArray x, NDArray weight, NDArray bias, NDArray a, NDArray b) {
        NDArray base = Linear.linear(x, weight, bias).singletonOrThrow();
        try (NDArray down = Linear.linear(x, a).singletonOrThrow();
             NDArray up = Linear.linear(down, b).singletonOrThrow()) {
            return base.addi(up);
        }
    }

    /** ΔW = B A (out, in), the dense update that merging adds to W. */
    public static NDArray deltaWeight(NDArray a, NDArray b) {
        return b.matMul(a);
    }

    /** The top-k indices (descending logit) and their softmax weights for each sub-vector of {@code logits}. */
    public static TopkSelection topk(NDArray logits, int topk) {
        long h = logits.getShape().get(logits.getShape().dimension() - 1);
        if (topk < 1 || topk > h) {
            throw new IllegalArgumentException("topk: must be in [1, " + h + "] (the number of bank vectors), was " + topk);
        }
        NDList top;
        try (NDArray detached = logits.stopGradient()) {
            top = detached.topK(topk, -1, true, true);
        }
        try (NDArray values = top.get(0); NDArray indices = top.get(1); NDArray weights = values.softmax(-1)) {
            return new TopkSelection(indices.getShape().getShape(), indices.toLongArray(), weights.toFloatArray());
        }
    }

    private static void checkBankAndLogits(NDArray bank, NDArray logits, int topk) {
        Shape bs = bank.getShape();
        requireRank("vector_bank", bs, 2);
        Shape ls = logits.getShape();
        long h = ls.get(ls.dimension() - 1);
        if (h != bs.get(0)) {
            throw new IllegalArgumentException("logits: last dim " + h + " must equal the number of bank vectors "
                    + bs.get(0));
        }
        if (topk < 1 || topk > h) {
            throw new IllegalArgumentException("topk: must be in [1, " + h + "] (the number of bank vectors), was " + topk);
        }
    }

    private static void requireRank(String name, Shape s, int rank) {
        if (s.dimension() != rank) {
            throw new IllegalArgumentException(name + ": expected rank " + rank + ", got shape " + s);
        }
    }
}
