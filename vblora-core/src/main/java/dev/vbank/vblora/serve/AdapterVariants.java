package dev.vbank.vblora.serve;

import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.LoraModule;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.TopK;
import dev.vbank.vblora.format.VbloraModule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Distinct adapters made cheaply from one: every logit (VB-LoRA), A and B (LoRA) and head value gets Gaussian noise of
 * {@code scale} times its tensor's RMS; a VB-LoRA adapter stored with its top-k selection only keeps its indices and has
 * each mixing weight multiplied by exp(scale · N(0, 1)), renormalised. For load tests and benchmarks, where the number of distinct adapters matters,
 * not what they learned.
 */
public final class AdapterVariants {

    private AdapterVariants() {
    }

    public static AdapterWeights perturb(AdapterWeights w, long seed, double scale) {
        Random random = new Random(seed);
        Map<String, Tensor> head = new LinkedHashMap<>();
        w.head().forEach((name, t) -> head.put(name, noisy(t, random, scale)));
        return switch (w.kind()) {
            case VBLORA -> {
                int h = w.vbloraConfig().numVectors();
                List<VbloraModule> modules = w.vbloraModules().values().stream()
                        .map(m -> m.hasLogits()
                                ? VbloraModule.ofLogits(m.path(), m.in(), m.out(), noisy(m.logitsA(), random, scale),
                                        noisy(m.logitsB(), random, scale))
                                : VbloraModule.ofTopK(m.path(), m.in(), m.out(), reweighted(m.topkA(), h, random, scale),
                                        reweighted(m.topkB(), h, random, scale))).toList();
                yield AdapterWeights.vblora(w.vbloraConfig(), w.baseModelId(), w.baseWeightsSha256(), w.vectorBank(),
                        modules, head, w.taskType(), w.labels(), w.provenance());
            }
            case LORA -> {
                List<LoraModule> modules = w.loraModules().values().stream()
                        .map(m -> new LoraModule(m.path(), m.in(), m.out(), noisy(m.a(), random, scale),
                                noisy(m.b(), random, scale))).toList();
                yield AdapterWeights.lora(w.loraConfig(), w.baseModelId(), w.baseWeightsSha256(), modules, head,
                        w.taskType(), w.labels(), w.provenance());
            }
            case HEAD_ONLY -> AdapterWeights.headOnly(w.baseModelId(), w.baseWeightsSha256(), head, w.taskType(),
                    w.labels(), w.provenance());
        };
    }

    private static TopK reweighted(TopK t, int numVectors, Random random, double scale) {
        int k = t.k();
        float[] w = t.weights();
        float[] leading = new float[t.subVectors() * (k - 1)];
        double[] v = new double[k];
        for (int s = 0; s < t.subVectors(); s++) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                v[j] = Math.max(1e-6, w[s * k + j]) * Math.exp(scale * random.nextGaussian());
                sum += v[j];
            }
            for (int j = 0; j < k - 1; j++) {
                leading[s * (k - 1) + j] = (float) (v[j] / sum);
            }
        }
        return TopK.of(t.d0(), t.d1(), k, numVectors, t.indices(), leading);
    }

    private static Tensor noisy(Tensor t, Random random, double scale) {
        float[] d = t.data();
        double sq = 0;
        for (float v : d) {
            sq += (double) v * v;
        }
        double sigma = scale * Math.max(1e-3, Math.sqrt(sq / Math.max(1, d.length)));
        float[] out = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = (float) (d[i] + sigma * random.nextGaussian());
        }
        return new Tensor(t.shape(), out);
    }
}
