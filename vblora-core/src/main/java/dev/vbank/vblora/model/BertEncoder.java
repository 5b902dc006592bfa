package dev.vbank.vblora.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import dev.vbank.vblora.precision.BaseMath;

/**
 * The BERT encoder forward pass (HF {@code BertModel} without the pooler): embeddings (word + position 0..L−1 +
 * token type, LayerNorm), then per layer self-attention with the additive mask, residual + LayerNorm, FFN with exact (erf)
 * GELU, residual + LayerNorm. The linear layers and attention products are the base's, in a {@link BaseMath}'s
 * precision, plus the adapter's {@link Adapter.Pass} in fp32; the residual stream and layer norms stay fp32. No
 * dropout: the base is frozen and the adapters carry their own.
 */
public final class BertEncoder {

    /** Added to the scores of masked keys; exp of it is exactly 0 in fp32 without risking −inf − −inf. */
    private static final float MASKED = -1e9f;

    private BertEncoder() {
    }

    /** Hidden states (B, L, H) for ids (B, L) int64, mask (B, L) 0/1, token types (B, L) or null; all in fp32. */
    public static NDArray forward(EncoderWeights w, Adapter.Pass pass, NDArray inputIds, NDArray attentionMask,
                                  NDArray tokenTypeIds) {
        return forward(w, BaseMath.FP32, pass, inputIds, attentionMask, tokenTypeIds);
    }

    /** As the fp32 forward above, with the base's linear layers computed by {@code math}. */
    public static NDArray forward(EncoderWeights w, BaseMath math, Adapter.Pass pass, NDArray inputIds,
                                  NDArray attentionMask, NDArray tokenTypeIds) {
        EncoderShape s = w.shape();
        long batch = inputIds.getShape().get(0);
        long len = inputIds.getShape().get(1);
        if (len > s.maxPositions()) {
            throw new IllegalArgumentException("seq_len: " + len + " exceeds max_position_embeddings " + s.maxPositions());
        }
        NDArray hidden = embeddings(w, inputIds, tokenTypeIds, len);
        NDArray maskBias = attentionMask.toType(DataType.FLOAT32, false).sub(1f).mul(-MASKED)
                .reshape(batch, 1, 1, len);
        for (int l = 0; l < s.numLayers(); l++) {
            hidden = layer(w, math, pass, l, hidden, maskBias, batch, len);
        }
        return hidden;
    }

    private static NDArray embeddings(EncoderWeights w, NDArray inputIds, NDArray tokenTypeIds, long len) {
        EncoderShape s = w.shape();
        NDArray words = w.get("embeddings.word_embeddings.weight").get(inputIds);
        NDArray positions = w.get("embeddings.position_embeddings.weight").get(new NDIndex("0:{}", len));
        NDArray types = tokenTypeIds == null
                ? w.get("embeddings.token_type_embeddings.weight").get(new NDIndex("0"))
                : w.get("embeddings.token_type_embeddings.weight").get(tokenTypeIds);
        NDArray sum = words.add(positions).addi(types);
        return layerNorm(w, "embeddings.LayerNorm", sum, s);
    }

    private static NDArray layer(EncoderWeights w, BaseMath math, Adapter.Pass pass, int l, NDArray hidden,
                                 NDArray maskBias, long batch, long len) {
        EncoderShape s = w.shape();
        int heads = s.numHeads();
        int d = s.headSize();
        NDArray q = linear(w, math, pass, l, "attention.self.query", hidden);
        NDArray k = linear(w, math, pass, l, "attention.self.key", hidden);
        NDArray v = linear(w, math, pass, l, "attention.self.value", hidden);
        NDArray qh = q.reshape(batch, len, heads, d).transpose(0, 2, 1, 3);
        NDArray kt = k.reshape(batch, len, heads, d).transpose(0, 2, 3, 1);
        NDArray vh = v.reshape(batch, len, heads, d).transpose(0, 2, 1, 3);
        NDArray context = math.attention(qh, kt, vh, (float) (1.0 / Math.sqrt(d)), maskBias)
                .transpose(0, 2, 1, 3).reshape(batch, len, s.hiddenSize());
        NDArray attended = hidden.add(linear(w, math, pass, l, "attention.output.dense", context));
        NDArray h1 = layerNorm(w, EncoderShape.modulePath(l, "attention.output.LayerNorm"), attended, s);
        NDArray inner = Activation.gelu(linear(w, math, pass, l, "intermediate.dense", h1));
        NDArray out = h1.add(linear(w, math, pass, l, "output.dense", inner));
        return layerNorm(w, EncoderShape.modulePath(l, "output.LayerNorm"), out, s);
    }

    /** The frozen layer in {@code math}'s precision; where the pass adapts the module, it and its update in fp32. */
    private static NDArray linear(EncoderWeights w, BaseMath math, Adapter.Pass pass, int layer, String module,
                                  NDArray x) {
        String path = EncoderShape.modulePath(layer, module);
        NDArray base = math.linear(x, w.get(path + ".weight"), w.get(path + ".bias"));
        return pass.adapts(path) ? pass.addUpdate(path, math.fp32(x), math.fp32(base)) : base;
    }

    private static NDArray layerNorm(EncoderWeights w, String prefix, NDArray x, EncoderShape s) {
        return LayerNorm.layerNorm(x, new Shape(s.hiddenSize()), w.get(prefix + ".weight"), w.get(prefix + ".bias"),
                s.layerNormEps()).singletonOrThrow();
    }
}
