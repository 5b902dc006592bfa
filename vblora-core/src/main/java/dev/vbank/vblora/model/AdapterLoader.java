package dev.vbank.vblora.model;

import ai.djl.ndarray.NDManager;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.format.AdapterStates;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.TopK;
import dev.vbank.vblora.format.VbloraModule;
import dev.vbank.vblora.layer.TopkSelection;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds an engine model on a base encoder from adapter weights read by the format package. */
public final class AdapterLoader {

    private AdapterLoader() {
    }

    /**
     * VB-LoRA with logits and LoRA come back trainable; a VB-LoRA adapter saved with top-k weights only comes back for
     * inference and merging. The head state must be present (names {@code classifier.weight}/{@code classifier.bias}).
     */
    public static AdaptedEncoder load(NDManager parent, EncoderWeights base, AdapterWeights weights, Pooling pooling) {
        int hidden = base.shape().hiddenSize();
        ClassificationHead head = ClassificationHead.fromState(parent, hidden, pooling, weights.head());
        Adapter adapter;
        try {
            adapter = adapter(parent, base.shape().linearModules(), weights);
        } catch (RuntimeException e) {
            head.close();
            throw e;
        }
        return new AdaptedEncoder(base, adapter, head);
    }

    /** The engine adapter alone (no head, no base), e.g. to compose its factors for serving. */
    public static Adapter adapter(NDManager parent, List<ModuleShape> encoderModules, AdapterWeights weights) {
        return switch (weights.kind()) {
            case VBLORA -> weights.trainable()
                    ? VbloraAdapter.fromState(parent, weights.vbloraConfig(), encoderModules,
                            AdapterStates.toState(weights))
                    : VbloraAdapter.fromTopk(parent, weights.vbloraConfig(), encoderModules, weights.vectorBank(),
                            selections(weights));
            case LORA -> LoraAdapter.fromState(parent, weights.loraConfig(), encoderModules,
                    AdapterStates.toState(weights));
            case HEAD_ONLY -> new NoAdapter();
        };
    }

    private static Map<String, TopkSelection[]> selections(AdapterWeights weights) {
        int k = weights.vbloraConfig().topk();
        Map<String, TopkSelection[]> out = new LinkedHashMap<>();
        for (VbloraModule m : weights.vbloraModules().values()) {
            out.put(m.path(), new TopkSelection[] {convert(m.selectA(k)), convert(m.selectB(k))});
        }
        return out;
    }

    private static TopkSelection convert(TopK t) {
        int[] idx = t.indices();
        long[] indices = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            indices[i] = idx[i];
        }
        return new TopkSelection(new long[] {t.d0(), t.d1(), t.k()}, indices, t.weights());
    }
}
