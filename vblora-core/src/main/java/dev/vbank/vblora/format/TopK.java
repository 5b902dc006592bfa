package dev.vbank.vblora.format;

import java.util.Arrays;

/**
 * The top-k selection of a logits tensor of shape {@code (d0, d1, h)}: for each of the {@code d0·d1} sub-vectors, k bank
 * indices in descending logit order and the softmax over those k logits.
 * <p>
 * Canonical form: only the first k−1 weights are free; the last is {@code 1 − Σ} of the others computed in float, left
 * to right. Every format stores k−1 weights, so keeping this form in memory makes export → import bit-exact.
 */
public final class TopK {
    private final int d0;
    private final int d1;
    private final int k;
    private final int[] indices;
    private final float[] weights;

    private TopK(int d0, int d1, int k, int[] indices, float[] weights) {
        this.d0 = d0;
        this.d1 = d1;
        this.k = k;
        this.indices = indices;
        this.weights = weights;
    }

    /**
     * From stored form: {@code indices} has d0·d1·k entries, {@code leadingWeights} d0·d1·(k−1). Indices must be in
     * [0, numVectors) and distinct within a sub-vector.
     */
    public static TopK of(int d0, int d1, int k, int numVectors, int[] indices, float[] leadingWeights) {
        if (d0 < 1 || d1 < 1 || k < 1) {
            throw new IllegalArgumentException("top-k dims must be >= 1: (" + d0 + ", " + d1 + ", k=" + k + ")");
        }
        int n = Math.multiplyExact(d0, d1);
        if (indices.length != Math.multiplyExact(n, k)) {
            throw new IllegalArgumentException("expected " + n * (long) k + " top-k indices, got " + indices.length);
        }
        if (leadingWeights.length != Math.multiplyExact(n, k - 1)) {
            throw new IllegalArgumentException("expected " + n * (long) (k - 1) + " top-k weights, got " + leadingWeights.length);
        }
        float[] w = new float[n * k];
        for (int s = 0; s < n; s++) {
            float sum = 0f;
            for (int j = 0; j < k - 1; j++) {
                float v = leadingWeights[s * (k - 1) + j];
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("top-k weight of sub-vector " + s + " is not finite: " + v);
                }
                w[s * k + j] = v;
                sum += v;
            }
            w[s * k + k - 1] = 1f - sum;
            for (int j = 0; j < k; j++) {
                int idx = indices[s * k + j];
                if (idx < 0 || idx >= numVectors) {
                    throw new IllegalArgumentException("top-k index " + idx + " of sub-vector " + s
                            + " outside the bank [0, " + numVectors + ")");
                }
                for (int j2 = 0; j2 < j; j2++) {
                    if (indices[s * k + j2] == idx) {
                        throw new IllegalArgumentException("top-k index " + idx + " repeated in sub-vector " + s);
                    }
                }
            }
        }
        return new TopK(d0, d1, k, indices.clone(), w);
    }

    /**
     * Selects, per sub-vector of {@code logits} (d0, d1, h), the k largest logits (ties: lower index first) and their
     * softmax, in double precision, rounded to float.
     */
    public static TopK fromLogits(Tensor logits, int k) {
        if (logits.rank() != 3) {
            throw new IllegalArgumentException("logits must have rank 3 (d0, d1, h), got " + logits.shapeString());
        }
        int d0 = (int) logits.dim(0);
        int d1 = (int) logits.dim(1);
        int h = (int) logits.dim(2);
        if (k < 1 || k > h) {
            throw new IllegalArgumentException("topk " + k + " must be in [1, " + h + "]");
        }
        int n = d0 * d1;
        float[] x = logits.data();
        int[] idx = new int[n * k];
        float[] lead = new float[n * (k - 1)];
        int[] best = new int[k];
        double[] e = new double[k];
        for (int s = 0; s < n; s++) {
            int base = s * h;
            int filled = 0;
            for (int v = 0; v < h; v++) {
                float val = x[base + v];
                if (Float.isNaN(val)) {
                    throw new IllegalArgumentException("NaN logit at sub-vector " + s + ", vector " + v);
                }
                if (filled < k) {
                    int p = filled++;
                    while (p > 0 && x[base + best[p - 1]] < val) {
                        best[p] = best[p - 1];
                        p--;
                    }
                    best[p] = v;
                } else if (val > x[base + best[k - 1]]) {
                    int p = k - 1;
                    while (p > 0 && x[base + best[p - 1]] < val) {
                        best[p] = best[p - 1];
                        p--;
                    }
                    best[p] = v;
                }
            }
            double max = x[base + best[0]];
            double z = 0;
            for (int j = 0; j < k; j++) {
                e[j] = Math.exp(x[base + best[j]] - max);
                z += e[j];
                idx[s * k + j] = best[j];
            }
            for (int j = 0; j < k - 1; j++) {
                lead[s * (k - 1) + j] = (float) (e[j] / z);
            }
        }
        return of(d0, d1, k, h, idx, lead);
    }

    public int d0() {
        return d0;
    }

    public int d1() {
        return d1;
    }

    public int k() {
        return k;
    }

    public int subVectors() {
        return d0 * d1;
    }

    /** Index j (0 = largest logit) of sub-vector (i0, i1). */
    public int index(int i0, int i1, int j) {
        return indices[(i0 * d1 + i1) * k + j];
    }

    public float weight(int i0, int i1, int j) {
        return weights[(i0 * d1 + i1) * k + j];
    }

    /** All indices, d0·d1·k. */
    public int[] indices() {
        return indices.clone();
    }

    /** All k weights per sub-vector, d0·d1·k (the last derived). */
    public float[] weights() {
        return weights.clone();
    }

    /** The stored form: first k−1 weights per sub-vector, d0·d1·(k−1). */
    public float[] leadingWeights() {
        int n = d0 * d1;
        float[] out = new float[n * (k - 1)];
        for (int s = 0; s < n; s++) {
            System.arraycopy(weights, s * k, out, s * (k - 1), k - 1);
        }
        return out;
    }

    public int maxIndex() {
        int m = -1;
        for (int i : indices) {
            m = Math.max(m, i);
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopK t && d0 == t.d0 && d1 == t.d1 && k == t.k && Arrays.equals(indices, t.indices)
                && Arrays.equals(weights, t.weights);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(indices) * 31 + Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        return "TopK(" + d0 + ", " + d1 + ", k=" + k + ")";
    }
}
