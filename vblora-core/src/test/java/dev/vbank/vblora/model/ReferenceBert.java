package dev.vbank.vblora.model;

import dev.vbank.vblora.format.Tensor;

/** A plain-Java float64 BERT forward (no adapter) written from the HF definition, to check the DJL encoder. */
final class ReferenceBert {

    private final EncoderWeights w;
    private final EncoderShape s;

    ReferenceBert(EncoderWeights w) {
        this.w = w;
        this.s = w.shape();
    }

    /** Hidden states [batch][len][hidden]. */
    double[][][] forward(Batch batch) {
        int n = batch.size();
        int len = batch.seqLen();
        int hdim = s.hiddenSize();
        double[][][] out = new double[n][][];
        Tensor word = w.toTensor("embeddings.word_embeddings.weight");
        Tensor pos = w.toTensor("embeddings.position_embeddings.weight");
        Tensor type = w.toTensor("embeddings.token_type_embeddings.weight");
        for (int bi = 0; bi < n; bi++) {
            double[][] h = new double[len][hdim];
            for (int t = 0; t < len; t++) {
                int id = (int) batch.inputIds()[bi * len + t];
                int tt = batch.tokenTypeIds() == null ? 0 : (int) batch.tokenTypeIds()[bi * len + t];
                for (int j = 0; j < hdim; j++) {
                    h[t][j] = word.get(id, j) + pos.get(t, j) + type.get(tt, j);
                }
                h[t] = layerNorm(h[t], "embeddings.LayerNorm");
            }
            boolean[] keep = new boolean[len];
            for (int t = 0; t < len; t++) {
                keep[t] = batch.attentionMask()[bi * len + t] != 0;
            }
            for (int l = 0; l < s.numLayers(); l++) {
                h = layer(h, keep, l);
            }
            out[bi] = h;
        }
        return out;
    }

    private double[][] layer(double[][] h, boolean[] keep, int l) {
        int len = h.length;
        int heads = s.numHeads();
        int d = s.headSize();
        double[][] q = linear(h, l, "attention.self.query");
        double[][] k = linear(h, l, "attention.self.key");
        double[][] v = linear(h, l, "attention.self.value");
        double[][] ctx = new double[len][s.hiddenSize()];
        for (int hd = 0; hd < heads; hd++) {
            for (int i = 0; i < len; i++) {
                double[] scores = new double[len];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) {
                        dot += q[i][hd * d + c] * k[j][hd * d + c];
                    }
                    scores[j] = keep[j] ? dot / Math.sqrt(d) : Double.NEGATIVE_INFINITY;
                    max = Math.max(max, scores[j]);
                }
                double z = 0;
                for (int j = 0; j < len; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    z += scores[j];
                }
                for (int j = 0; j < len; j++) {
                    for (int c = 0; c < d; c++) {
                        ctx[i][hd * d + c] += scores[j] / z * v[j][hd * d + c];
                    }
                }
            }
        }
        double[][] attn = add(linear(ctx, l, "attention.output.dense"), h);
        double[][] h1 = new double[len][];
        for (int t = 0; t < len; t++) {
            h1[t] = layerNorm(attn[t], EncoderShape.modulePath(l, "attention.output.LayerNorm"));
        }
        double[][] inner = linear(h1, l, "intermediate.dense");
        for (double[] row : inner) {
            for (int j = 0; j < row.length; j++) {
                row[j] = 0.5 * row[j] * (1 + erf(row[j] / Math.sqrt(2)));
            }
        }
        double[][] out = add(linear(inner, l, "output.dense"), h1);
        for (int t = 0; t < len; t++) {
            out[t] = layerNorm(out[t], EncoderShape.modulePath(l, "output.LayerNorm"));
        }
        return out;
    }

    private double[][] linear(double[][] x, int l, String module) {
        String p = EncoderShape.modulePath(l, module);
        Tensor weight = w.toTensor(p + ".weight");
        Tensor bias = w.toTensor(p + ".bias");
        int outF = (int) weight.dim(0);
        int inF = (int) weight.dim(1);
        double[][] y = new double[x.length][outF];
        for (int t = 0; t < x.length; t++) {
            for (int o = 0; o < outF; o++) {
                double acc = bias.get(o);
                for (int i = 0; i < inF; i++) {
                    acc += x[t][i] * weight.get(o, i);
                }
                y[t][o] = acc;
            }
        }
        return y;
    }

    private double[] layerNorm(double[] x, String prefix) {
        Tensor g = w.toTensor(prefix + ".weight");
        Tensor b = w.toTensor(prefix + ".bias");
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (x[i] - mean) / Math.sqrt(var + s.layerNormEps()) * g.get(i) + b.get(i);
        }
        return out;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                out[i][j] = a[i][j] + b[i][j];
            }
        }
        return out;
    }

    /** erf to ~1e-15 by its Maclaurin series for |x| < 3 and the continued fraction beyond (GELU needs both tails). */
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
            double f = 0;
            for (int n = 60; n >= 1; n--) {
                f = n / 2.0 / (ax + f);
            }
            r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
        }
        return x < 0 ? -r : r;
    }
}
