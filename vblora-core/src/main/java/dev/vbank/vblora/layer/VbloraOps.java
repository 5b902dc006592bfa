package dev.vbank.vblora.layer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;

/**
 * The one VB-LoRA composition, on DJL arrays, in the Hugging Face PEFT tensor layout:
 * <pre>
 *   bank (h, b);  logits_A (r, in/b, h) → A (r, in);  logits_B (out/b, r, h) → B (out, r)
 *   compose(l) = Σ_j softmax(topk(l, k).values)_j · bank[topk(l, k).indices_j]
 *   y = x Wᵀ + bias + (x Aᵀ) Bᵀ
 * </pre>
 * Training, inference, the merge and adapters stored as top-k selections all go through {@link #mix}, {@link #toA} and
 * {@link #toB}. Every op is differentiable through DJL's autograd; results belong to the manager of the first operand,
 * so callers put the operands of one training step into a per-step manager.
 */
public final class VbloraOps {

    private VbloraOps() {
    }

    /**
     * Composes every sub-vector of a logits tensor from the bank: logits (..., h) → sub-vectors (..., b), in one top-k,
     * one softmax and one gather.
     */
    public static NDArray compose(NDArray bank, NDArray logits, int topk) {
        checkBankAndLogits(bank, logits, topk);
        // values, indices: (..., k), by descending logit
        NDList top = logits.topK(topk, -1, true, true);
        try (NDArray values = top.get(0); NDArray indices = top.get(1); NDArray weights = values.softmax(-1)) {
            return mix(bank, weights, indices);
        }
    }

    /** Σ_j weights_j · bank[indices_j]: weights and indices (..., k) → sub-vectors (..., b). */
    public static NDArray mix(NDArray bank, NDArray weights, NDArray indices) {
        // picked: (..., k, b), one bank row per selected index
        try (NDArray picked = bank.get(indices);
             // (..., k) → (..., k, 1), broadcast over the b elements of each picked row
             NDArray w = weights.expandDims(-1);
             NDArray weighted = w.mul(picked)) {
            // sum over k: (..., k, b) → (..., b)
            return weighted.sum(new int[] {-2});
        }
    }

    /** A (r, in) from its composed sub-vectors (r, in/b, b): row ρ is sub-vectors (ρ, 0..in/b) laid end to end. */
    public static NDArray toA(NDArray subvectorsA) {
        Shape s = subvectorsA.getShape();
        requireRank("A sub-vectors", s, 3);
        // (r, in/b, b) → (r, in)
        return subvectorsA.reshape(s.get(0), s.get(1) * s.get(2));
    }

    /** B (out, r) from its composed sub-vectors (out/b, r, b): sub-vector (j, ρ) fills rows j·b … j·b+b−1 of column ρ. */
    public static NDArray toB(NDArray subvectorsB) {
        Shape s = subvectorsB.getShape();
        requireRank("B sub-vectors", s, 3);
        // (out/b, r, b) → (out/b, b, r): each tile's b rows, one column per rank
        try (NDArray tiles = subvectorsB.transpose(0, 2, 1)) {
            // (out/b, b, r) → (out, r)
            return tiles.reshape(s.get(0) * s.get(2), s.get(1));
        }
    }

    /** A (r, in) from logits_A (r, in/b, h). */
    public static NDArray composeA(NDArray bank, NDArray logitsA, int topk) {
        requireRank("logits_A", logitsA.getShape(), 3);
        try (NDArray composed = compose(bank, logitsA, topk)) {
            return toA(composed);
        }
    }

    /** B (out, r) from logits_B (out/b, r, h). */
    public static NDArray composeB(NDArray bank, NDArray logitsB, int topk) {
        requireRank("logits_B", logitsB.getShape(), 3);
        try (NDArray composed = compose(bank, logitsB, topk)) {
            return toB(composed);
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
        checkTopk(topk, h);
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
        checkTopk(topk, h);
    }

    private static void checkTopk(int topk, long h) {
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
