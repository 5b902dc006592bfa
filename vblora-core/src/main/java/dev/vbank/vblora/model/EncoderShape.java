package dev.vbank.vblora.model;

import dev.vbank.vblora.config.ModuleShape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The dimensions of a BERT-family encoder (HF {@code BertConfig} names, without the pooler). */
public record EncoderShape(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
                           int maxPositions, int typeVocabSize, float layerNormEps) {

    /** The six adaptable linear layers inside {@code encoder.layer.N}, in a fixed order. */
    public static final List<String> LINEAR_MODULES = List.of("attention.self.query", "attention.self.key",
            "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense");

    public EncoderShape {
        positive("vocab_size", vocabSize);
        positive("hidden_size", hiddenSize);
        positive("num_hidden_layers", numLayers);
        positive("num_attention_heads", numHeads);
        positive("intermediate_size", intermediateSize);
        positive("max_position_embeddings", maxPositions);
        positive("type_vocab_size", typeVocabSize);
        if (hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads: " + numHeads + " does not divide hidden_size "
                    + hiddenSize);
        }
        if (!(layerNormEps > 0) || !Float.isFinite(layerNormEps)) {
            throw new IllegalArgumentException("layer_norm_eps: must be finite and > 0, was " + layerNormEps);
        }
    }

    /** all-MiniLM-L6-v2 / bge-small / e5-small are 384 wide; MiniLM-L6 has 6 layers. */
    public static EncoderShape miniLmL6() {
        return new EncoderShape(30522, 384, 6, 12, 1536, 512, 2, 1e-12f);
    }

    public int headSize() {
        return hiddenSize / numHeads;
    }

    public static String modulePath(int layer, String module) {
        return "encoder.layer." + layer + "." + module;
    }

    /** Every adaptable linear layer with its features, in layer order. */
    public List<ModuleShape> linearModules() {
        List<ModuleShape> out = new ArrayList<>();
        for (int l = 0; l < numLayers; l++) {
            for (String m : LINEAR_MODULES) {
                out.add(new ModuleShape(modulePath(l, m), linearIn(m), linearOut(m)));
            }
        }
        return out;
    }

    private int linearIn(String module) {
        return module.equals("output.dense") ? intermediateSize : hiddenSize;
    }

    private int linearOut(String module) {
        return module.equals("intermediate.dense") ? intermediateSize : hiddenSize;
    }

    /** The HF parameter names the encoder needs and their shapes (linear weights are stored [out, in]). */
    public Map<String, long[]> weightShapes() {
        Map<String, long[]> s = new LinkedHashMap<>();
        s.put("embeddings.word_embeddings.weight", new long[] {vocabSize, hiddenSize});
        s.put("embeddings.position_embeddings.weight", new long[] {maxPositions, hiddenSize});
        s.put("embeddings.token_type_embeddings.weight", new long[] {typeVocabSize, hiddenSize});
        s.put("embeddings.LayerNorm.weight", new long[] {hiddenSize});
        s.put("embeddings.LayerNorm.bias", new long[] {hiddenSize});
        for (int l = 0; l < numLayers; l++) {
            for (String m : LINEAR_MODULES) {
                String p = modulePath(l, m);
                s.put(p + ".weight", new long[] {linearOut(m), linearIn(m)});
                s.put(p + ".bias", new long[] {linearOut(m)});
            }
            for (String ln : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                s.put(modulePath(l, ln) + ".weight", new long[] {hiddenSize});
                s.put(modulePath(l, ln) + ".bias", new long[] {hiddenSize});
            }
        }
        return s;
    }

    private static void positive(String field, int v) {
        if (v < 1) {
            throw new IllegalArgumentException(field + ": must be >= 1, was " + v);
        }
    }
}
