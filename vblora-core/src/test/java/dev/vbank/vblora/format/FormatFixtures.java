package dev.vbank.vblora.format;

import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small random adapters and an independent reference composition written the way PEFT's layer.py reads. */
final class FormatFixtures {
    static final String SHA = "ab".repeat(32);

    private FormatFixtures() {
    }

    static List<ModuleShape> bert(int layers, int d, int ffn) {
        List<ModuleShape> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            String p = "encoder.layer." + l + ".";
            out.add(new ModuleShape(p + "attention.self.query", d, d));
            out.add(new ModuleShape(p + "attention.self.key", d, d));
            out.add(new ModuleShape(p + "attention.self.value", d, d));
            out.add(new ModuleShape(p + "attention.output.dense", d, d));
            out.add(new ModuleShape(p + "intermediate.dense", d, ffn));
            out.add(new ModuleShape(p + "output.dense", ffn, d));
        }
        return out;
    }

    static Tensor random(Random rnd, double scale, long... shape) {
        float[] d = new float[Math.toIntExact(Tensor.numel(shape))];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rnd.nextGaussian() * scale);
        }
        return new Tensor(shape, d);
    }

    static Map<String, Tensor> head(Random rnd, int d, int classes) {
        Map<String, Tensor> head = new LinkedHashMap<>();
        head.put("classifier.weight", random(rnd, 0.05, classes, d));
        head.put("classifier.bias", random(rnd, 0.05, classes));
        return head;
    }

    static AdapterWeights vblora(long seed, VbloraConfig c, int layers, int d, int ffn) {
        Random rnd = new Random(seed);
        List<ModuleShape> adapted = c.validateAgainst(bert(layers, d, ffn));
        int h = c.numVectors();
        int b = c.vectorLength();
        Tensor bank = random(rnd, c.initVectorBankBound(), h, b);
        List<VbloraModule> modules = new ArrayList<>();
        for (ModuleShape m : adapted) {
            modules.add(VbloraModule.ofLogits(m.path(), m.in(), m.out(),
                    random(rnd, 1.0, c.r(), m.in() / b, h), random(rnd, 1.0, m.out() / b, c.r(), h)));
        }
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("job_id", "job-" + seed);
        prov.put("seed", Long.toString(seed));
        return AdapterWeights.vblora(c, "FacebookAI/roberta-base", SHA, bank, modules, head(rnd, d, 3), "SEQ_CLS",
                List.of("neg", "neu", "pos"), prov);
    }

    static VbloraConfig smallConfig() {
        return VbloraConfig.builder().numVectors(12).vectorLength(8).r(2).topk(2)
                .targetModules(TargetModules.ALL_LINEAR).build();
    }

    static AdapterWeights lora(long seed) {
        Random rnd = new Random(seed);
        LoraConfig c = LoraConfig.defaults().withR(4).withTargetModules(TargetModules.parse("query,value,output.dense"));
        List<LoraModule> modules = new ArrayList<>();
        for (ModuleShape m : bert(2, 16, 32)) {
            if (c.adapts(m.path())) {
                modules.add(new LoraModule(m.path(), m.in(), m.out(), random(rnd, 0.1, 4, m.in()), random(rnd, 0.1, m.out(), 4)));
            }
        }
        return AdapterWeights.lora(c, "BAAI/bge-small-en-v1.5", null, modules, head(rnd, 16, 2), "SEQ_CLS",
                List.of("a", "b"), Map.of("job_id", "lora-" + seed));
    }

    /**
     * Reference per sub-vector weights over the whole bank: softmax of the logits with all but the k largest set to
     * −∞ (how PEFT rebuilds logits from a top-k file), in double.
     */
    static double[] maskedSoftmax(float[] logits, int off, int h, int k) {
        Integer[] order = new Integer[h];
        for (int i = 0; i < h; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -logits[off + i]).thenComparingInt(i -> i));
        double[] w = new double[h];
        double max = logits[off + order[0]];
        double z = 0;
        for (int j = 0; j < k; j++) {
            w[order[j]] = Math.exp(logits[off + order[j]] - max);
            z += w[order[j]];
        }
        for (int i = 0; i < h; i++) {
            w[i] /= z;
        }
        return w;
    }

    /** low-rank (d0, d1, b) = Σ_v w_v · bank[v] per sub-vector, in double. */
    static double[][][][] lowRank(Tensor logits, Tensor bank, int k) {
        int d0 = (int) logits.dim(0);
        int d1 = (int) logits.dim(1);
        int h = (int) logits.dim(2);
        int b = (int) bank.dim(1);
        double[][][][] out = new double[1][d0][d1][b];
        for (int i = 0; i < d0; i++) {
            for (int j = 0; j < d1; j++) {
                double[] w = maskedSoftmax(logits.data(), (i * d1 + j) * h, h, k);
                for (int v = 0; v < h; v++) {
                    if (w[v] == 0) {
                        continue;
                    }
                    for (int t = 0; t < b; t++) {
                        out[0][i][j][t] += w[v] * bank.data()[v * b + t];
                    }
                }
            }
        }
        return out;
    }

    /** PEFT: A = lowRank(logits_A).reshape(r, -1). */
    static double[][] referenceA(Tensor logitsA, Tensor bank, int k) {
        double[][][] lr = lowRank(logitsA, bank, k)[0];
        int r = lr.length;
        int tiles = lr[0].length;
        int b = lr[0][0].length;
        double[][] a = new double[r][tiles * b];
        for (int i = 0; i < r; i++) {
            for (int c = 0; c < tiles; c++) {
                System.arraycopy(lr[i][c], 0, a[i], c * b, b);
            }
        }
        return a;
    }

    /** PEFT: B = lowRank(logits_B).transpose(1, 2).reshape(-1, r). */
    static double[][] referenceB(Tensor logitsB, Tensor bank, int k) {
        double[][][] lr = lowRank(logitsB, bank, k)[0];
        int tiles = lr.length;
        int r = lr[0].length;
        int b = lr[0][0].length;
        double[][] out = new double[tiles * b][r];
        for (int tile = 0; tile < tiles; tile++) {
            for (int t = 0; t < b; t++) {
                for (int rho = 0; rho < r; rho++) {
                    out[tile * b + t][rho] = lr[tile][rho][t];
                }
            }
        }
        return out;
    }

    static double maxAbsDiff(Tensor t, double[][] ref) {
        double m = 0;
        int cols = ref[0].length;
        if (t.dim(0) != ref.length || t.dim(1) != cols) {
            throw new AssertionError("shape " + t.shapeString() + " vs [" + ref.length + ", " + cols + "]");
        }
        for (int i = 0; i < ref.length; i++) {
            for (int j = 0; j < cols; j++) {
                m = Math.max(m, Math.abs(t.data()[i * cols + j] - ref[i][j]));
            }
        }
        return m;
    }
}
