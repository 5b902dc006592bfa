package dev.vbank.text.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Hugging Face BertModel state-dict names (without the pooler) and the shape each must have. */
public final class BertNames {
    /** The six Linear layers of one encoder layer, relative to {@code encoder.layer.N.}. */
    public static final List<String> LINEARS = List.of(
            "attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "intermediate.dense", "output.dense");

    private BertNames() {}

    public static String layerPrefix(int layer) {
        return "encoder.layer." + layer + ".";
    }

    /** Every expected tensor name, in canonical order, mapped to its shape ([out, in] for Linear weights). */
    public static Map<String, int[]> expectedShapes(BaseModel m) {
        int h = m.hiddenSize();
        int f = m.intermediateSize();
        Map<String, int[]> s = new LinkedHashMap<>();
        s.put("embeddings.word_embeddings.weight", new int[] {m.vocabSize(), h});
        s.put("embeddings.position_embeddings.weight", new int[] {m.maxPositions(), h});
        s.put("embeddings.token_type_embeddings.weight", new int[] {m.typeVocabSize(), h});
        s.put("embeddings.LayerNorm.weight", new int[] {h});
        s.put("embeddings.LayerNorm.bias", new int[] {h});
        for (int i = 0; i < m.layers(); i++) {
            String p = layerPrefix(i);
            for (String qkv : List.of("query", "key", "value")) {
                s.put(p + "attention.self." + qkv + ".weight", new int[] {h, h});
                s.put(p + "attention.self." + qkv + ".bias", new int[] {h});
            }
            s.put(p + "attention.output.dense.weight", new int[] {h, h});
            s.put(p + "attention.output.dense.bias", new int[] {h});
            s.put(p + "attention.output.LayerNorm.weight", new int[] {h});
            s.put(p + "attention.output.LayerNorm.bias", new int[] {h});
            s.put(p + "intermediate.dense.weight", new int[] {f, h});
            s.put(p + "intermediate.dense.bias", new int[] {f});
            s.put(p + "output.dense.weight", new int[] {h, f});
            s.put(p + "output.dense.bias", new int[] {h});
            s.put(p + "output.LayerNorm.weight", new int[] {h});
            s.put(p + "output.LayerNorm.bias", new int[] {h});
        }
        return s;
    }

    public static List<String> linearWeightNames(int layers) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            for (String l : LINEARS) {
                out.add(layerPrefix(i) + l + ".weight");
            }
        }
        return out;
    }
}
