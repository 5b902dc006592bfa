package dev.vbank.vblora.format;

import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.VbloraConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bridges the flat state maps the training code exports (tensor name → {@link Tensor}) and {@link AdapterWeights}.
 * Names: {@value #BANK} (h, b); {@code <path>.vblora_logits_A} (r, in/b, h), {@code <path>.vblora_logits_B}
 * (out/b, r, h); {@code <path>.lora_A} (r, in), {@code <path>.lora_B} (out, r); every other name is a head tensor
 * (e.g. {@code classifier.weight}).
 */
public final class AdapterStates {
    public static final String BANK = "vblora_vector_bank";
    public static final String LOGITS_A = ".vblora_logits_A";
    public static final String LOGITS_B = ".vblora_logits_B";
    public static final String LORA_A = ".lora_A";
    public static final String LORA_B = ".lora_B";

    private AdapterStates() {
    }

    /** Adapter metadata that is not in the state map. */
    public record Meta(String baseModelId, String baseWeightsSha256, String taskType, List<String> labels,
                       Map<String, String> provenance) {
    }

    public static AdapterWeights vblora(VbloraConfig c, Map<String, Tensor> state, Meta meta) {
        Tensor bank = state.get(BANK);
        if (bank == null) {
            throw new IllegalArgumentException("state has no " + BANK);
        }
        int b = c.vectorLength();
        Map<String, Tensor[]> pairs = new TreeMap<>();
        Map<String, Tensor> head = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String n = e.getKey();
            if (n.equals(BANK)) {
                continue;
            }
            if (n.endsWith(LOGITS_A)) {
                pairs.computeIfAbsent(strip(n, LOGITS_A), x -> new Tensor[2])[0] = e.getValue();
            } else if (n.endsWith(LOGITS_B)) {
                pairs.computeIfAbsent(strip(n, LOGITS_B), x -> new Tensor[2])[1] = e.getValue();
            } else if (n.endsWith(LORA_A) || n.endsWith(LORA_B)) {
                throw new IllegalArgumentException("LoRA tensor " + n + " in a VB-LoRA state");
            } else {
                head.put(n, e.getValue());
            }
        }
        List<VbloraModule> modules = new ArrayList<>();
        for (Map.Entry<String, Tensor[]> p : pairs.entrySet()) {
            Tensor la = p.getValue()[0];
            Tensor lb = p.getValue()[1];
            if (la == null || lb == null || la.rank() != 3 || lb.rank() != 3) {
                throw new IllegalArgumentException(p.getKey() + ": needs rank-3 vblora_logits_A and vblora_logits_B");
            }
            modules.add(VbloraModule.ofLogits(p.getKey(), (int) la.dim(1) * b, (int) lb.dim(0) * b, la, lb));
        }
        return AdapterWeights.vblora(c, meta.baseModelId(), meta.baseWeightsSha256(), bank, modules, head,
                meta.taskType(), meta.labels(), meta.provenance());
    }

    public static AdapterWeights lora(LoraConfig c, Map<String, Tensor> state, Meta meta) {
        Map<String, Tensor[]> pairs = new TreeMap<>();
        Map<String, Tensor> head = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String n = e.getKey();
            if (n.endsWith(LORA_A)) {
                pairs.computeIfAbsent(strip(n, LORA_A), x -> new Tensor[2])[0] = e.getValue();
            } else if (n.endsWith(LORA_B)) {
                pairs.computeIfAbsent(strip(n, LORA_B), x -> new Tensor[2])[1] = e.getValue();
            } else if (n.equals(BANK) || n.endsWith(LOGITS_A) || n.endsWith(LOGITS_B)) {
                throw new IllegalArgumentException("VB-LoRA tensor " + n + " in a LoRA state");
            } else {
                head.put(n, e.getValue());
            }
        }
        List<LoraModule> modules = new ArrayList<>();
        for (Map.Entry<String, Tensor[]> p : pairs.entrySet()) {
            Tensor a = p.getValue()[0];
            Tensor bm = p.getValue()[1];
            if (a == null || bm == null || a.rank() != 2 || bm.rank() != 2) {
                throw new IllegalArgumentException(p.getKey() + ": needs 2-d lora_A and lora_B");
            }
            modules.add(new LoraModule(p.getKey(), (int) a.dim(1), (int) bm.dim(0), a, bm));
        }
        return AdapterWeights.lora(c, meta.baseModelId(), meta.baseWeightsSha256(), modules, head, meta.taskType(),
                meta.labels(), meta.provenance());
    }

    public static AdapterWeights headOnly(Map<String, Tensor> state, Meta meta) {
        return AdapterWeights.headOnly(meta.baseModelId(), meta.baseWeightsSha256(), state, meta.taskType(),
                meta.labels(), meta.provenance());
    }

    /** The flat state map again; VB-LoRA adapters must still have their logits. */
    public static Map<String, Tensor> toState(AdapterWeights a) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        switch (a.kind()) {
            case VBLORA -> {
                if (!a.trainable()) {
                    throw new IllegalStateException("adapter was loaded from top-k weights only; it has no logits to train");
                }
                out.put(BANK, a.vectorBank());
                for (VbloraModule m : a.vbloraModules().values()) {
                    out.put(m.path() + LOGITS_A, m.logitsA());
                    out.put(m.path() + LOGITS_B, m.logitsB());
                }
            }
            case LORA -> {
                for (LoraModule m : a.loraModules().values()) {
                    out.put(m.path() + LORA_A, m.a());
                    out.put(m.path() + LORA_B, m.b());
                }
            }
            case HEAD_ONLY -> {
            }
        }
        out.putAll(a.head());
        return out;
    }

    private static String strip(String name, String suffix) {
        return name.substring(0, name.length() - suffix.length());
    }
}
