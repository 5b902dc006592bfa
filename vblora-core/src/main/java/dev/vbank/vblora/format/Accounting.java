package dev.vbank.vblora.format;

import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.VbloraConfig;

import java.util.List;

/**
 * Parameter and byte counts of an adapter.
 *
 * @param peftSavable     PEFT's float32-equivalent count of saved VB-LoRA parameters with save_only_topk_weights:
 *                        bank + Σ sub-vectors · ((k−1) + k·f), f = 0.25 / 0.5 / 1 for uint8 / int16 / int32 indices
 *                        (h &lt; 256, &lt; 32768, else), truncated as PEFT's {@code int()}; for LoRA, A + B; head excluded
 * @param peftSavableFull the same without top-k: bank + all logits (LoRA: A + B)
 * @param headParams      head tensors' element count (PEFT's "other" savable parameters)
 * @param compactBytes    exact size of the compact file with the given options
 * @param trainable       bank + all logits + head (LoRA: A + B + head; head_only: head); a bank-referencing adapter
 *                        trained against a frozen bank: all logits + head
 * @param subVectors      Σ over modules of r·in/b + out/b·r (0 for non-VB-LoRA)
 */
public record Accounting(long peftSavable, long peftSavableFull, long headParams, long compactBytes, long trainable,
                         long subVectors) {

    public static Accounting of(AdapterWeights a, CompactFormat.Options compact) {
        long head = a.head().values().stream().mapToLong(Tensor::numel).sum();
        long bytes = CompactFormat.write(a, compact).length;
        return switch (a.kind()) {
            case VBLORA -> {
                VbloraConfig c = a.vbloraConfig();
                List<ModuleShape> shapes = a.vbloraModules().values().stream()
                        .map(m -> new ModuleShape(m.path(), m.in(), m.out())).toList();
                long sub = subVectors(c, shapes);
                long bank = (long) c.numVectors() * c.vectorLength();
                long logits = sub * c.numVectors();
                long trainedBank = a.bankRef() == null ? bank : 0;
                yield new Accounting(peftSavableTopk(c, shapes), bank + logits, head, bytes, trainedBank + logits + head,
                        sub);
            }
            case LORA -> {
                long lora = a.loraModules().values().stream().mapToLong(m -> (long) m.a().numel() + m.b().numel()).sum();
                yield new Accounting(lora, lora, head, bytes, lora + head, 0);
            }
            case HEAD_ONLY -> new Accounting(0, 0, head, bytes, head, 0);
        };
    }

    /** Σ over adapted modules of r·(in/b) + (out/b)·r: the rows of logits_A and logits_B. */
    public static long subVectors(VbloraConfig c, List<ModuleShape> adapted) {
        long n = 0;
        for (ModuleShape m : adapted) {
            if (m.in() % c.vectorLength() != 0 || m.out() % c.vectorLength() != 0) {
                throw new IllegalArgumentException("vector_length " + c.vectorLength() + " does not divide " + m);
            }
            n += (long) c.r() * (m.in() / c.vectorLength()) + (long) (m.out() / c.vectorLength()) * c.r();
        }
        return n;
    }

    /** PEFT's {@code get_nb_savable_parameters} with save_only_topk_weights, from shapes alone (head excluded). */
    public static long peftSavableTopk(VbloraConfig c, List<ModuleShape> adapted) {
        long sub = subVectors(c, adapted);
        long quarters = indexQuarters(c.numVectors());
        long bank = (long) c.numVectors() * c.vectorLength();
        // sub·k·quarters/4 in integers: PEFT's float sum is exact here and int() truncates
        return bank + sub * (c.topk() - 1) + Math.floorDiv(sub * c.topk() * quarters, 4);
    }

    /** PEFT's savable count without top-k: bank + logits. */
    public static long peftSavableFull(VbloraConfig c, List<ModuleShape> adapted) {
        return (long) c.numVectors() * c.vectorLength() + subVectors(c, adapted) * c.numVectors();
    }

    /** Index size in quarters of a float32: uint8 1, int16 2, int32 4 (PEFT's thresholds). */
    static long indexQuarters(int h) {
        if (h < (1 << 8)) {
            return 1;
        }
        if (h < (1 << 15)) {
            return 2;
        }
        return 4;
    }
}
