package dev.vbank.vblora.format;

import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.VbloraConfig;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Everything an adapter file holds, in plain arrays. Maps are keyed by HF module path (adapters) or by state-dict name
 * (head tensors such as {@code classifier.weight}); they are copied into sorted, unmodifiable maps.
 *
 * @param kind              vblora, lora or head_only
 * @param vbloraConfig      set for vblora (and used for the head learning rate of head_only), else null
 * @param loraConfig        set for lora, else null
 * @param baseModelId       e.g. {@code FacebookAI/roberta-base}
 * @param baseWeightsSha256 sha256 of the base weights the adapter was trained on (hex), may be null
 * @param vectorBank        (h, b) for vblora, else null
 * @param taskType          PEFT's task type, e.g. {@code SEQ_CLS}; may be null
 * @param labels            class labels in head order; empty when none
 * @param provenance        free-form string pairs (job id, dataset, seed, code version, …)
 * @param bankRef           for a VB-LoRA adapter trained against a published, frozen bank: that bank's id and sha256
 *                          ({@link CompactFormat} then stores the reference instead of the bank); else null
 */
public record AdapterWeights(
        AdapterKind kind,
        VbloraConfig vbloraConfig,
        LoraConfig loraConfig,
        String baseModelId,
        String baseWeightsSha256,
        Tensor vectorBank,
        Map<String, VbloraModule> vbloraModules,
        Map<String, LoraModule> loraModules,
        Map<String, Tensor> head,
        String taskType,
        List<String> labels,
        Map<String, String> provenance,
        BankRef bankRef) {

    public AdapterWeights {
        Objects.requireNonNull(kind, "kind");
        if (baseModelId == null || baseModelId.isBlank()) {
            throw new IllegalArgumentException("base model id is required");
        }
        if (baseWeightsSha256 != null && !baseWeightsSha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("base weights sha256 must be 64 lower-case hex digits");
        }
        vbloraModules = sorted(vbloraModules);
        loraModules = sorted(loraModules);
        head = sorted(head);
        provenance = sorted(provenance);
        labels = labels == null ? List.of() : List.copyOf(labels);
        if (bankRef != null && kind != AdapterKind.VBLORA) {
            throw new IllegalArgumentException("only a VB-LoRA adapter can reference a vector bank");
        }
        for (Map.Entry<String, VbloraModule> e : vbloraModules.entrySet()) {
            if (!e.getKey().equals(e.getValue().path())) {
                throw new IllegalArgumentException("module key " + e.getKey() + " != path " + e.getValue().path());
            }
        }
        for (Map.Entry<String, LoraModule> e : loraModules.entrySet()) {
            if (!e.getKey().equals(e.getValue().path())) {
                throw new IllegalArgumentException("module key " + e.getKey() + " != path " + e.getValue().path());
            }
        }
        switch (kind) {
            case VBLORA -> {
                Objects.requireNonNull(vbloraConfig, "vblora adapter needs its VbloraConfig");
                Objects.requireNonNull(vectorBank, "vblora adapter needs the vector bank");
                if (loraConfig != null || !loraModules.isEmpty()) {
                    throw new IllegalArgumentException("vblora adapter cannot hold LoRA modules");
                }
                if (vbloraModules.isEmpty()) {
                    throw new IllegalArgumentException("vblora adapter has no adapted modules");
                }
                int h = vbloraConfig.numVectors();
                int b = vbloraConfig.vectorLength();
                vectorBank.requireShape("vector bank", h, b);
                for (VbloraModule m : vbloraModules.values()) {
                    m.validate(vbloraConfig.r(), h, b, vbloraConfig.topk());
                }
            }
            case LORA -> {
                Objects.requireNonNull(loraConfig, "lora adapter needs its LoraConfig");
                if (vectorBank != null || !vbloraModules.isEmpty()) {
                    throw new IllegalArgumentException("lora adapter cannot hold a vector bank or VB-LoRA modules");
                }
                if (loraModules.isEmpty()) {
                    throw new IllegalArgumentException("lora adapter has no adapted modules");
                }
                for (LoraModule m : loraModules.values()) {
                    if (m.r() != loraConfig.r()) {
                        throw new IllegalArgumentException(m.path() + ": lora rank " + m.r() + " != config r " + loraConfig.r());
                    }
                }
            }
            case HEAD_ONLY -> {
                if (vectorBank != null || !vbloraModules.isEmpty() || !loraModules.isEmpty()) {
                    throw new IllegalArgumentException("head_only adapter holds only head tensors");
                }
                if (head.isEmpty()) {
                    throw new IllegalArgumentException("head_only adapter has no head tensors");
                }
            }
        }
    }

    private static <V> Map<String, V> sorted(Map<String, V> m) {
        return m == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(m));
    }

    private static <T> Map<String, T> byPath(Collection<T> items, java.util.function.Function<T, String> path) {
        Map<String, T> m = new TreeMap<>();
        for (T t : items) {
            if (m.put(path.apply(t), t) != null) {
                throw new IllegalArgumentException("module " + path.apply(t) + " given twice");
            }
        }
        return m;
    }

    public static AdapterWeights vblora(VbloraConfig config, String baseModelId, String baseWeightsSha256, Tensor bank,
                                        Collection<VbloraModule> modules, Map<String, Tensor> head, String taskType,
                                        List<String> labels, Map<String, String> provenance) {
        return new AdapterWeights(AdapterKind.VBLORA, config, null, baseModelId, baseWeightsSha256, bank,
                byPath(modules, VbloraModule::path), null, head, taskType, labels, provenance, null);
    }

    public static AdapterWeights lora(LoraConfig config, String baseModelId, String baseWeightsSha256,
                                      Collection<LoraModule> modules, Map<String, Tensor> head, String taskType,
                                      List<String> labels, Map<String, String> provenance) {
        return new AdapterWeights(AdapterKind.LORA, null, config, baseModelId, baseWeightsSha256, null, null,
                byPath(modules, LoraModule::path), head, taskType, labels, provenance, null);
    }

    public static AdapterWeights headOnly(String baseModelId, String baseWeightsSha256, Map<String, Tensor> head,
                                          String taskType, List<String> labels, Map<String, String> provenance) {
        return new AdapterWeights(AdapterKind.HEAD_ONLY, null, null, baseModelId, baseWeightsSha256, null, null, null,
                head, taskType, labels, provenance, null);
    }

    /** True when every VB-LoRA module still has its logits (a top-k-only adapter can be merged, not trained). */
    public boolean trainable() {
        return vbloraModules.values().stream().allMatch(VbloraModule::hasLogits);
    }

    /** The same adapter with logits replaced by their top-k selection, as a top-k-only file would load. */
    public AdapterWeights toTopKOnly() {
        if (kind != AdapterKind.VBLORA) {
            return this;
        }
        int k = vbloraConfig.topk();
        return vblora(vbloraConfig, baseModelId, baseWeightsSha256, vectorBank,
                vbloraModules.values().stream().map(m -> m.toTopK(k)).toList(), head, taskType, labels, provenance)
                .withBankRef(bankRef);
    }

    /**
     * The same VB-LoRA adapter marked as trained against the published bank {@code ref} (its bank must be that bank's
     * values); {@code null} drops the mark, so the adapter is stored with its bank again (self-contained).
     */
    public AdapterWeights withBankRef(BankRef ref) {
        return new AdapterWeights(kind, vbloraConfig, loraConfig, baseModelId, baseWeightsSha256, vectorBank,
                vbloraModules, loraModules, head, taskType, labels, provenance, ref);
    }

    /** The same adapter with {@code bank} as its vector bank (same shape), e.g. a bank-referencing one resolved. */
    public AdapterWeights withBank(Tensor bank, BankRef ref) {
        return new AdapterWeights(kind, vbloraConfig, loraConfig, baseModelId, baseWeightsSha256, bank,
                vbloraModules, loraModules, head, taskType, labels, provenance, ref);
    }

    /** A (r, in) of an adapted module. */
    public Tensor composeA(String path) {
        return switch (kind) {
            case VBLORA -> LowRank.composeA(module(path).selectA(vbloraConfig.topk()), vectorBank);
            case LORA -> loraModule(path).a();
            case HEAD_ONLY -> throw new IllegalStateException("head_only adapter has no A");
        };
    }

    /** B (out, r) of an adapted module. */
    public Tensor composeB(String path) {
        return switch (kind) {
            case VBLORA -> LowRank.composeB(module(path).selectB(vbloraConfig.topk()), vectorBank);
            case LORA -> loraModule(path).b();
            case HEAD_ONLY -> throw new IllegalStateException("head_only adapter has no B");
        };
    }

    /** ΔW (out, in) to add to the base weight: B A for VB-LoRA, (alpha/r) B A for LoRA. */
    public Tensor deltaWeight(String path) {
        float scale = kind == AdapterKind.LORA ? (float) loraConfig.scaling() : 1f;
        return LowRank.delta(composeA(path), composeB(path), scale);
    }

    /** The adapted module paths, sorted. */
    public List<String> adaptedPaths() {
        return List.copyOf(kind == AdapterKind.LORA ? loraModules.keySet() : vbloraModules.keySet());
    }

    private VbloraModule module(String path) {
        VbloraModule m = vbloraModules.get(path);
        if (m == null) {
            throw new IllegalArgumentException("no adapted module " + path);
        }
        return m;
    }

    private LoraModule loraModule(String path) {
        LoraModule m = loraModules.get(path);
        if (m == null) {
            throw new IllegalArgumentException("no adapted module " + path);
        }
        return m;
    }
}
