package dev.vbank.artifacts.adapters;

import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.AdapterKind;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.LoraModule;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.TopK;
import dev.vbank.vblora.format.VbloraModule;

import java.util.ArrayList;
import java.util.List;

/**
 * How an adapter uses its vector bank, for the dashboard: per sub-vector the k bank vectors it mixes and their weights,
 * how often each bank vector is chosen, and the stored size next to a LoRA adapter of the same modules and rank.
 * Sub-vectors are ordered module by module (sorted paths), A's r·in/b rows then B's out/b·r rows, as the compact file
 * stores them. {@code indices} and {@code weights} are flat (sub-vector-major, k per sub-vector) and hold at most
 * {@code maxSubVectors} sub-vectors; {@code usage} always counts them all.
 *
 * @param storedBytes         the compact file's size
 * @param loraEquivalentBytes A and B of every adapted module in float32 at the same rank (0 for head_only)
 * @param headBytes           the classifier head in float32 (stored by every kind, not counted above)
 */
public record BankUsage(String object, String adapterId, String method, boolean hasBank, long storedBytes,
                        long loraEquivalentBytes, long headBytes, Integer numVectors, Integer vectorLength, Integer r,
                        Integer topk, long subVectors, int subVectorsSent, boolean truncated, List<Module> modules,
                        int[] indices, float[] weights, long[] usage) {

    public static final String OBJECT = "adapter.bank_usage";

    /**
     * @param offset first sub-vector of this module in the flat arrays; subVectorsA/B are its rows of logits_A and
     *               logits_B (LoRA: 0)
     */
    public record Module(String path, int in, int out, int r, long offset, int subVectorsA, int subVectorsB) {
    }

    public static BankUsage of(String adapterId, long storedBytes, AdapterWeights a, int maxSubVectors) {
        long head = 4L * a.head().values().stream().mapToLong(Tensor::numel).sum();
        String method = a.kind().id();
        return switch (a.kind()) {
            case VBLORA -> vblora(adapterId, storedBytes, a, head, maxSubVectors);
            case LORA -> {
                List<Module> modules = new ArrayList<>();
                long lora = 0;
                for (LoraModule m : a.loraModules().values()) {
                    modules.add(new Module(m.path(), m.in(), m.out(), m.r(), 0, 0, 0));
                    lora += 4L * ((long) m.r() * m.in() + (long) m.out() * m.r());
                }
                yield new BankUsage(OBJECT, adapterId, method, false, storedBytes, lora, head, null, null,
                        a.loraConfig().r(), null, 0, 0, false, modules, new int[0], new float[0], new long[0]);
            }
            case HEAD_ONLY -> new BankUsage(OBJECT, adapterId, method, false, storedBytes, 0, head, null, null, null,
                    null, 0, 0, false, List.of(), new int[0], new float[0], new long[0]);
        };
    }

    private static BankUsage vblora(String adapterId, long storedBytes, AdapterWeights a, long head, int maxSubVectors) {
        VbloraConfig c = a.vbloraConfig();
        int k = c.topk();
        int h = c.numVectors();
        int b = c.vectorLength();
        long total = 0;
        long lora = 0;
        List<Module> modules = new ArrayList<>();
        for (VbloraModule m : a.vbloraModules().values()) {
            int subA = c.r() * (m.in() / b);
            int subB = (m.out() / b) * c.r();
            modules.add(new Module(m.path(), m.in(), m.out(), c.r(), total, subA, subB));
            total += subA + subB;
            lora += 4L * ((long) c.r() * m.in() + (long) m.out() * c.r());
        }
        int sent = (int) Math.min(total, Math.max(0, maxSubVectors));
        int[] indices = new int[sent * k];
        float[] weights = new float[sent * k];
        long[] usage = new long[h];
        long s = 0;
        for (VbloraModule m : a.vbloraModules().values()) {
            for (TopK t : List.of(m.selectA(k), m.selectB(k))) {
                int[] idx = t.indices();
                float[] w = t.weights();
                for (int i = 0; i < idx.length; i++) {
                    usage[idx[i]]++;
                }
                int fit = (int) Math.min(t.subVectors(), sent - s);
                if (fit > 0) {
                    System.arraycopy(idx, 0, indices, (int) s * k, fit * k);
                    System.arraycopy(w, 0, weights, (int) s * k, fit * k);
                }
                s += t.subVectors();
            }
        }
        return new BankUsage(OBJECT, adapterId, AdapterKind.VBLORA.id(), true, storedBytes, lora, head, h, b, c.r(),
                k, total, sent, sent < total, modules, indices, weights, usage);
    }
}
