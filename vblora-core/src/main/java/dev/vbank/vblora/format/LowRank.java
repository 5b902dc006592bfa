package dev.vbank.vblora.format;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.vbank.vblora.layer.VbloraOps;

/**
 * A, B and ΔW of a stored adapter as host tensors, computed by the engine's one composition ({@link VbloraOps}) on a
 * short-lived manager: A (r, in) from a top-k selection of logits_A (r, in/b, ·), B (out, r) from one of logits_B
 * (out/b, r, ·), in PEFT's layout.
 */
public final class LowRank {
    private LowRank() {
    }

    /** A (r, in) from the selection of logits_A (r, in/b, k). */
    public static Tensor composeA(TopK topA, Tensor bank) {
        return compose(topA, bank, true);
    }

    /** B (out, r) from the selection of logits_B (out/b, r, k). */
    public static Tensor composeB(TopK topB, Tensor bank) {
        return compose(topB, bank, false);
    }

    /** ΔW (out, in) = scale · B A. */
    public static Tensor delta(Tensor a, Tensor b, float scale) {
        if (a.rank() != 2 || b.rank() != 2 || b.dim(1) != a.dim(0)) {
            throw new IllegalArgumentException("B " + b.shapeString() + " and A " + a.shapeString() + " disagree on r");
        }
        try (NDManager m = newManager()) {
            NDArray delta = VbloraOps.deltaWeight(array(m, a), array(m, b));
            return host(scale == 1f ? delta : delta.mul(scale));
        }
    }

    private static Tensor compose(TopK top, Tensor bank, boolean isA) {
        if (bank.rank() != 2) {
            throw new IllegalArgumentException("vector bank must be (h, b), got " + bank.shapeString());
        }
        if (top.maxIndex() >= bank.dim(0)) {
            throw new IllegalArgumentException("top-k index " + top.maxIndex() + " outside the bank of " + bank.dim(0)
                    + " vectors");
        }
        try (NDManager m = newManager()) {
            // (d0, d1, k) selections → (d0, d1, b) sub-vectors
            Shape selection = new Shape(top.d0(), top.d1(), top.k());
            int[] idx = top.indices();
            long[] indices = new long[idx.length];
            for (int i = 0; i < idx.length; i++) {
                indices[i] = idx[i];
            }
            NDArray subvectors = VbloraOps.mix(array(m, bank), m.create(top.weights(), selection),
                    m.create(indices, selection));
            return host(isA ? VbloraOps.toA(subvectors) : VbloraOps.toB(subvectors));
        }
    }

    private static NDManager newManager() {
        return Engine.getEngine("PyTorch").newBaseManager();
    }

    private static NDArray array(NDManager m, Tensor t) {
        return m.create(t.data(), new Shape(t.shape()));
    }

    private static Tensor host(NDArray a) {
        return new Tensor(a.getShape().getShape(), a.toFloatArray());
    }
}
