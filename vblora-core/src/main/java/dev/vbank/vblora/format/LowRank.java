package dev.vbank.vblora.format;

/**
 * Plain-Java composition of VB-LoRA's A and B from the bank and a top-k selection, laid out as PEFT does:
 * A (r, in) from logits_A (r, in/b, h); B (out, r) from logits_B (out/b, r, h), where B row {@code j·b + t}, column
 * {@code ρ} is element t of the sub-vector (j, ρ).
 */
public final class LowRank {
    private LowRank() {
    }

    /** A (r, in) = per sub-vector (ρ, c), Σ_j w_j · bank[idx_j], concatenated over c. */
    public static Tensor composeA(TopK topA, Tensor bank) {
        int b = checkBank(bank);
        int r = topA.d0();
        int tiles = topA.d1();
        int in = tiles * b;
        float[] out = new float[r * in];
        float[] bk = bank.data();
        for (int rho = 0; rho < r; rho++) {
            for (int c = 0; c < tiles; c++) {
                int dst = rho * in + c * b;
                for (int j = 0; j < topA.k(); j++) {
                    float w = topA.weight(rho, c, j);
                    int src = topA.index(rho, c, j) * b;
                    for (int t = 0; t < b; t++) {
                        out[dst + t] += w * bk[src + t];
                    }
                }
            }
        }
        return Tensor.of(out, r, in);
    }

    /** B (out, r): sub-vector (j, ρ) becomes rows j·b … j·b+b−1 of column ρ. */
    public static Tensor composeB(TopK topB, Tensor bank) {
        int b = checkBank(bank);
        int tiles = topB.d0();
        int r = topB.d1();
        int outF = tiles * b;
        float[] out = new float[outF * r];
        float[] bk = bank.data();
        for (int tile = 0; tile < tiles; tile++) {
            for (int rho = 0; rho < r; rho++) {
                for (int j = 0; j < topB.k(); j++) {
                    float w = topB.weight(tile, rho, j);
                    int src = topB.index(tile, rho, j) * b;
                    for (int t = 0; t < b; t++) {
                        out[(tile * b + t) * r + rho] += w * bk[src + t];
                    }
                }
            }
        }
        return Tensor.of(out, outF, r);
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
