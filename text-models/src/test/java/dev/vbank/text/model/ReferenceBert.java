package dev.vbank.text.model;

import java.util.Map;

/**
 * A plain-Java BERT encoder forward pass (post-LayerNorm, exact GELU), written from the BERT paper / HF BertModel
 * structure, used only to check that converted weights carry the right names and layouts: if query and key, or a
 * weight and its transpose, were mixed up the hidden states would not match onnxruntime's.
 */
final class ReferenceBert {
    private final BaseModel cfg;
    private final Map<String, FloatTensor> w;

    ReferenceBert(BaseModel cfg, Map<String, FloatTensor> weights) {
        this.cfg = cfg;
        this.w = weights;
    }

    /** Last hidden state [L][H] for one sequence with every position attended. */
    double[][] forward(long[] ids, long[] typeIds) {
        int len = ids.length;
        int h = cfg.hiddenSize();
        double[][] x = new double[len][h];
        FloatTensor word = w.get("embeddings.word_embeddings.weight");
        FloatTensor pos = w.get("embeddings.position_embeddings.weight");
        FloatTensor type = w.get("embeddings.token_type_embeddings.weight");
        for (int t = 0; t < len; t++) {
            for (int j = 0; j < h; j++) {
                x[t][j] = word.get((int) ids[t], j) + pos.get(t, j) + type.get((int) typeIds[t], j);
            }
        }
        x = layerNorm(x, "embeddings.LayerNorm");
        for (int l = 0; l < cfg.layers(); l++) {
            String p = BertNames.layerPrefix(l);
            double[][] q = linear(x, p + "attention.self.query");
            double[][] k = linear(x, p + "attention.self.key");
            double[][] v = linear(x, p + "attention.self.value");
            double[][] ctx = attention(q, k, v);
            double[][] a = layerNorm(add(linear(ctx, p + "attention.output.dense"), x), p + "attention.output.LayerNorm");
            double[][] inter = linear(a, p + "intermediate.dense");
            for (double[] row : inter) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = 0.5 * row[j] * (1 + erf(row[j] / Math.sqrt(2)));
                }
            }
            x = layerNorm(add(linear(inter, p + "output.dense"), a), p + "output.LayerNorm");
        }
        return x;
    }

    private double[][] attention(double[][] q, double[][] k, double[][] v) {
        int len = q.length;
        int d = cfg.headSize();
        double scale = 1 / Math.sqrt(d);
        double[][] out = new double[len][cfg.hiddenSize()];
        for (int head = 0; head < cfg.heads(); head++) {
            int o = head * d;
            for (int i = 0; i < len; i++) {
                double[] s = new double[len];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += q[i][o + c] * k[j][o + c];
                    }
                    s[j] = dot * scale;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < len; j++) {
                    s[j] = Math.exp(s[j] - max);
                    sum += s[j];
                }
                for (int j = 0; j < len; j++) {
                    for (int c = 0; c < d; c++) {
                        out[i][o + c] += s[j] / sum * v[j][o + c];
                    }
                }
            }
        }
        return out;
    }

    /** y = x W^T + b with W stored [out, in] as nn.Linear does. */
    private double[][] linear(double[][] x, String module) {
        FloatTensor wt = w.get(module + ".weight");
        FloatTensor b = w.get(module + ".bias");
        int out = wt.dim(0);
        int in = wt.dim(1);
        double[][] y = new double[x.length][out];
        float[] wd = wt.data();
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < out; o++) {
                double acc = b.data()[o];
                int base = o * in;
                for (int i = 0; i < in; i++) {
                    acc += x[t][i] * wd[base + i];
                }
                y[t][o] = acc;
            }
        }
        return y;
    }

    private double[][] layerNorm(double[][] x, String module) {
        float[] g = w.get(module + ".weight").data();
        float[] b = w.get(module + ".bias").data();
        double[][] y = new double[x.length][];
        for (int t = 0; t < x.length; t++) {
            double mean = 0;
            for (double v : x[t]) {
                mean += v;
            }
            mean /= x[t].length;
            double var = 0;
            for (double v : x[t]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[t].length;
            double inv = 1 / Math.sqrt(var + cfg.layerNormEps());
            y[t] = new double[x[t].length];
            for (int j = 0; j < x[t].length; j++) {
                y[t][j] = (x[t][j] - mean) * inv * g[j] + b[j];
            }
        }
        return y;
    }

    private static double[][] add(double[][] a, double[][] b) {
        for (int t = 0; t < a.length; t++) {
            for (int j = 0; j < a[t].length; j++) {
                a[t][j] += b[t][j];
            }
        }
        return a;
    }

    /** erf by its Maclaurin series for |x| < 3 and the asymptotic complement beyond; error well under 1e-9 here. */
    static double erf(double x) {
        double ax = Math.abs(x);
        double r;
        if (ax < 3) {
            double term = ax;
            double sum = ax;
            for (int n = 1; n < 200; n++) {
                term *= -ax * ax / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.abs(add) < 1e-17) {
                    break;
                }
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else {
            // erfc(x) ~ e^{-x^2}/(x sqrt(pi)) (1 - 1/(2x^2) + 3/(4x^4) - 15/(8x^6)); for x >= 3 the error is < 1e-7 relative of erfc (< 2e-12 absolute)
            double x2 = ax * ax;
            double series = 1 - 1 / (2 * x2) + 3 / (4 * x2 * x2) - 15 / (8 * x2 * x2 * x2);
            r = 1 - Math.exp(-x2) / (ax * Math.sqrt(Math.PI)) * series;
        }
        return x < 0 ? -r : r;
    }
}
