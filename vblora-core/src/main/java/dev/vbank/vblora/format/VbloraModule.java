package dev.vbank.vblora.format;

/**
 * One adapted linear layer of a VB-LoRA adapter. Either trainable (logits_A (r, in/b, h), logits_B (out/b, r, h)) or
 * loaded from a top-k-only file (logits null, top-k selections set), which can be merged or evaluated but not trained.
 */
public record VbloraModule(String path, int in, int out, Tensor logitsA, Tensor logitsB, TopK topkA, TopK topkB) {

    public VbloraModule {
        if (path == null || path.isBlank()) {
            throw new IllegalArgumentException("module path is required");
        }
        if ((logitsA == null) != (logitsB == null)) {
            throw new IllegalArgumentException(path + ": logits_A and logits_B must both be present or both absent");
        }
        if (logitsA == null && (topkA == null || topkB == null)) {
            throw new IllegalArgumentException(path + ": needs logits or top-k selections for A and B");
        }
        if (logitsA != null && (topkA != null || topkB != null)) {
            throw new IllegalArgumentException(path + ": give logits or top-k selections, not both");
        }
    }

    public static VbloraModule ofLogits(String path, int in, int out, Tensor logitsA, Tensor logitsB) {
        return new VbloraModule(path, in, out, logitsA, logitsB, null, null);
    }

    public static VbloraModule ofTopK(String path, int in, int out, TopK topkA, TopK topkB) {
        return new VbloraModule(path, in, out, null, null, topkA, topkB);
    }

    public boolean hasLogits() {
        return logitsA != null;
    }

    /** The top-k selection for A: stored, or computed from the logits. */
    public TopK selectA(int k) {
        return hasLogits() ? TopK.fromLogits(logitsA, k) : checkK(topkA, k);
    }

    public TopK selectB(int k) {
        return hasLogits() ? TopK.fromLogits(logitsB, k) : checkK(topkB, k);
    }

    private TopK checkK(TopK t, int k) {
        if (t.k() != k) {
            throw new IllegalStateException(path + ": stored top-k has k=" + t.k() + ", asked for k=" + k);
        }
        return t;
    }

    /** Drops the logits, keeping only what a top-k-only file holds. */
    public VbloraModule toTopK(int k) {
        return hasLogits() ? ofTopK(path, in, out, selectA(k), selectB(k)) : this;
    }

    void validate(int r, int h, int b, int k) {
        if (in % b != 0 || out % b != 0) {
            throw new IllegalArgumentException(path + ": vector_length " + b + " must divide in (" + in + ") and out ("
                    + out + ")");
        }
        if (hasLogits()) {
            logitsA.requireShape(path + " logits_A", r, in / b, h);
            logitsB.requireShape(path + " logits_B", out / b, r, h);
        } else {
            checkTopK(path + " top-k A", topkA, r, in / b, k);
            checkTopK(path + " top-k B", topkB, out / b, r, k);
            if (topkA.maxIndex() >= h || topkB.maxIndex() >= h) {
                throw new IllegalArgumentException(path + ": top-k index outside the bank of " + h + " vectors");
            }
        }
    }

    private static void checkTopK(String what, TopK t, int d0, int d1, int k) {
        if (t.d0() != d0 || t.d1() != d1 || t.k() != k) {
            throw new IllegalArgumentException(what + ": expected (" + d0 + ", " + d1 + ", k=" + k + "), got (" + t.d0()
                    + ", " + t.d1() + ", k=" + t.k() + ")");
        }
    }
}
