package dev.vbank.text.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.vbank.text.onnx.OnnxFormatException;
import dev.vbank.text.onnx.OnnxModel;
import dev.vbank.text.onnx.Proto;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A hand-built one-layer BERT graph with a "bert." prefix, the layout of an export from BertForSequenceClassification. */
class OnnxBertConverterTest {
    private static final BaseModel TINY = new BaseModel("tiny", "bert", 1, 4, 2, 8, 6, 10, 2, 1e-12, Pooling.CLS,
            "none", "none", "none", "none", "none", "none", "");

    /** Every expected tensor; Linear weights anonymous and [in, out], values 0.5·index + offset so each element is distinct. */
    private static OnnxModel graph(String skipAddFor, boolean addPosition) {
        Proto g = new Proto();
        int k = 0;
        for (Map.Entry<String, int[]> e : BertNames.expectedShapes(TINY).entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            boolean linear = shape.length == 2 && name.startsWith("encoder.");
            int[] dims = linear ? new int[] {shape[1], shape[0]} : shape;
            int n = 1;
            for (int d : dims) {
                n *= d;
            }
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = 0.5f * i + k;
            }
            String stored = linear ? "onnx::MatMul_" + (700 + k) : "bert." + name;
            Proto t = new Proto();
            for (int d : dims) {
                t.varint(1, d);
            }
            g.message(5, t.varint(2, OnnxModel.FLOAT).string(8, stored).bytes(9, Proto.floatsLe(values)));
            if (linear) {
                String module = name.substring(0, name.length() - ".weight".length());
                g.message(1, new Proto().string(1, "x").string(1, stored).string(2, "mm" + k).string(4, "MatMul"));
                if (!module.equals(skipAddFor)) {
                    g.message(1, new Proto().string(1, "bert." + module + ".bias").string(1, "mm" + k)
                            .string(2, "add" + k).string(4, "Add"));
                }
            }
            k++;
        }
        if (addPosition) {
            Proto pos = new Proto().varint(1, 1).varint(1, 6).varint(2, OnnxModel.INT64).string(8, "bert.embeddings.position_ids")
                    .bytes(9, new byte[48]);
            g.message(5, pos);
        }
        // attention scores: MatMul of two activations, which must be ignored
        g.message(1, new Proto().string(1, "q").string(1, "k").string(2, "scores").string(4, "MatMul"));
        return OnnxModel.parse(new Proto().message(7, g).buffer(), "tiny.onnx");
    }

    @Test
    void stripsThePrefixNamesAndTransposesLinearWeights() {
        OnnxModel onnx = graph(null, true);
        Map<String, FloatTensor> w = OnnxBertConverter.convert(onnx, TINY);

        assertThat(w.keySet()).containsExactlyElementsOf(BertNames.expectedShapes(TINY).keySet());
        FloatTensor inter = w.get("encoder.layer.0.intermediate.dense.weight");
        assertThat(inter.shape()).containsExactly(8, 4);
        // stored [in=4, out=8]: raw[i·8 + o] must land at [o, i]
        OnnxModel.Initializer raw = onnx.initializers().values().stream()
                .filter(i -> i.name().startsWith("onnx::") && i.dims()[1] == 8).findFirst().orElseThrow();
        float[] r = raw.floats();
        for (int i = 0; i < 4; i++) {
            for (int o = 0; o < 8; o++) {
                assertThat(inter.get(o, i)).isEqualTo(r[i * 8 + o]);
            }
        }
        assertThat(w.get("embeddings.LayerNorm.bias").data())
                .isEqualTo(onnx.initializers().get("bert.embeddings.LayerNorm.bias").floats());
    }

    @Test
    void aMatMulWithoutItsBiasAddIsReportedByName() {
        assertThatThrownBy(() -> OnnxBertConverter.convert(graph("encoder.layer.0.attention.self.key", false), TINY))
                .isInstanceOf(OnnxFormatException.class)
                .hasMessageContaining("feeds no Add with a named bias")
                .hasMessageContaining("missing encoder.layer.0.attention.self.key.weight");
    }

    @Test
    void shapesAreCheckedAgainstTheRegistry() {
        BaseModel wider = new BaseModel("wider", "bert", 1, 4, 2, 16, 6, 10, 2, 1e-12, Pooling.CLS,
                "none", "none", "none", "none", "none", "none", "");
        assertThatThrownBy(() -> OnnxBertConverter.convert(graph(null, false), wider))
                .hasMessageContaining("encoder.layer.0.intermediate.dense.weight has shape [8, 4], wider needs [16, 4]");
    }
}
