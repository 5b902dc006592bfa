package dev.vbank.vblora.format;

/**
 * The host twin of the engine's composition ({@code layer/VbloraOps}) for services that run without libtorch (the
 * artifact service merges adapters into base weights without DJL): the same three stages on float arrays, in PEFT's
 * layout. The golden cases pin both implementations.
 */
public final class LowRank {
    private LowRank() {
    }

    /** A (r, in) from the selection of logits_A (r, in/b, k). */
    public static Tensor composeA(TopK topA, Tensor bank) {
        int b = checkBank(bank);
        // sub-vectors (r, in/b, b) → A (r, in): the same row-major buffer
        return Tensor.of(mix(topA, bank), topA.d0(), (long) topA.d1() * b);
    }

    /** B (out, r) from the selection of logits_B (out/b, r, k). */
    public static Tensor composeB(TopK topB, Tensor bank) {
        int b = checkBank(bank);
        int tiles = topB.d0();
        int r = topB.d1();
        float[] sub = mix(topB, bank);
        float[] out = new float[tiles * b * r];
        // sub-vectors (out/b, r, b) → (out/b, b, r) → B (out, r): sub-vector (tile, ρ) fills column ρ of rows tile·b …
        for (int tile = 0; tile < tiles; tile++) {
            for (int rho = 0; rho < r; rho++) {
                for (int t = 0; t < b; t++) {
                    out[(tile * b + t) * r + rho] = sub[(tile * r + rho) * b + t];
                }
            }
        }
        return Tensor.of(out, (long) tiles * b, r);
    }

    /** Σ_j w_j · bank[idx_j] per selection: (d0, d1, k) → sub-vectors (d0, d1, b), row-major. */
    private static float[] mix(TopK top, Tensor bank) {
        int b = (int) bank.dim(1);
        int n = top.subVectors();
        float[] out = new float[n * b];
        float[] bk = bank.data();
        for (int s = 0; s < n; s++) {
            int i0 = s / top.d1();
            int i1 = s % top.d1();
            for (int j = 0; j < top.k(); j++) {
                float w = top.weight(i0, i1, j);
                int src = top.index(i0, i1, j) * b;
                for (int t = 0; t < b; t++) {
                    out[s * b + t] += w * bk[src + t];
                }
            }
        }
        return out;
    }

    /** ΔW (out, in) = scale · B A. */
    public static Tensor delta(Tensor a, Tensor b, float scale) {
        int r = (int) a.dim(0);
        int in = (int) a.dim(1);
        int out = (int) b.dim(0);
        if (b.dim(1) != r) {
            throw new IllegalArgumentException("B " + b.shapeString() + " and A " + a.shapeString() + " disagree on r");
        }
        float[] ad = a.data();
        float[] bd = b.data();
        float[] d = new float[out * in];
        for (int o = 0; o < out; o++) {
            for (int rho = 0; rho < r; rho++) {
                float s = scale * bd[o * r + rho];
                int arow = rho * in;
                int drow = o * in;
                for (int i = 0; i < in; i++) {
                    d[drow + i] += s * ad[arow + i];
                }
            }
        }
        return Tensor.of(d, out, in);
    }

    private static int checkBank(Tensor bank) {
        if (bank.rank() != 2) {
            throw new IllegalArgumentException("vector bank must be (h, b), got " + bank.shapeString());
        }
        return (int) bank.dim(1);
    }
}
