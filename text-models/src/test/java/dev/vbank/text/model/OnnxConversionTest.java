package dev.vbank.text.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.vbank.text.TestDirs;
import dev.vbank.text.onnx.OnnxModel;
import dev.vbank.text.tokenize.Encoding;
import dev.vbank.text.tokenize.TextTokenizer;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Conversion of each shipped ONNX file: recovered names and [out, in] shapes, values bit-for-bit equal to the ONNX
 * initializers after transposition (located independently through the exporter's node names), the pinned sha256, and
 * a forward pass over the converted weights that matches onnxruntime running the original file on our token ids.
 */
class OnnxConversionTest {
    private static final BaseModelStore STORE = new BaseModelStore(TestDirs.models());

    static java.util.List<BaseModel> models() {
        return BaseModels.all();
    }

    @ParameterizedTest
    @MethodSource("models")
    void recoversEveryLinearWeightWithOutInShapes(BaseModel m) throws Exception {
        Map<String, FloatTensor> w = OnnxBertConverter.convert(STORE.readOnnx(m), m);

        assertThat(w).hasSize(5 + 16 * m.layers());
        int h = m.hiddenSize();
        int f = m.intermediateSize();
        for (int l = 0; l < m.layers(); l++) {
            String p = "encoder.layer." + l + ".";
            assertThat(w.get(p + "attention.self.query.weight").shape()).containsExactly(h, h);
            assertThat(w.get(p + "attention.self.key.weight").shape()).containsExactly(h, h);
            assertThat(w.get(p + "attention.self.value.weight").shape()).containsExactly(h, h);
            assertThat(w.get(p + "attention.output.dense.weight").shape()).containsExactly(h, h);
            assertThat(w.get(p + "intermediate.dense.weight").shape()).containsExactly(f, h);
            assertThat(w.get(p + "output.dense.weight").shape()).containsExactly(h, f);
        }
        assertThat(w.get("embeddings.word_embeddings.weight").shape()).containsExactly(30522, 384);
        assertThat(w.keySet()).noneMatch(n -> n.startsWith("onnx::") || n.contains("position_ids"));
    }

    @ParameterizedTest
    @MethodSource("models")
    void convertedValuesEqualOnnxInitializersBitForBit(BaseModel m) throws Exception {
        OnnxModel onnx = STORE.readOnnx(m);
        Map<String, FloatTensor> w = STORE.load(m);

        for (int l = 0; l < m.layers(); l++) {
            for (String lin : BertNames.LINEARS) {
                // the exporter names the MatMul node after the module path, e.g. /encoder/layer.0/attention/self/query/MatMul
                String nodeName = "/encoder/layer." + l + "/" + lin.replace('.', '/') + "/MatMul";
                OnnxModel.Node node = onnx.nodes().stream().filter(n -> n.name().equals(nodeName)).findFirst()
                        .orElseThrow(() -> new AssertionError("no node " + nodeName));
                OnnxModel.Initializer raw = onnx.initializers().get(node.inputs().get(1));
                FloatTensor t = w.get("encoder.layer." + l + "." + lin + ".weight");
                int in = (int) raw.dims()[0];
                int out = (int) raw.dims()[1];
                assertThat(t.shape()).containsExactly(out, in);
                float[] r = raw.floats();
                for (int i = 0; i < in; i++) {
                    for (int o = 0; o < out; o++) {
                        if (Float.floatToRawIntBits(t.get(o, i)) != Float.floatToRawIntBits(r[i * out + o])) {
                            throw new AssertionError(t.name() + "[" + o + "," + i + "] differs from " + raw.name());
                        }
                    }
                }
            }
        }
        for (OnnxModel.Initializer raw : onnx.initializers().values()) {
            if (raw.dataType() == OnnxModel.FLOAT && !raw.name().startsWith("onnx::")) {
                assertThat(w.get(raw.name()).data()).as(raw.name()).isEqualTo(raw.floats());
            }
        }
        assertThat(WeightFile.read(STORE.weightsPath(m), null).payloadSha256()).isEqualTo(m.weightsSha256());
    }

    @ParameterizedTest
    @MethodSource("models")
    void forwardOverConvertedWeightsMatchesOnnxRuntime(BaseModel m) throws Exception {
        Encoding enc;
        try (TextTokenizer tok = TextTokenizer.forModel(m, 32)) {
            enc = tok.encodePair("The movie was surprisingly good.", "I would watch it again!");
        }
        int len = enc.length();
        float[][][] ort;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        byte[] bytes;
        try (InputStream in = STORE.openResource(m.onnxResource(), m)) {
            bytes = in.readAllBytes();
        }
        try (OrtSession session = env.createSession(bytes, new OrtSession.SessionOptions());
             OnnxTensor ids = OnnxTensor.createTensor(env, new long[][] {enc.inputIds()});
             OnnxTensor mask = OnnxTensor.createTensor(env, new long[][] {enc.attentionMask()});
             OnnxTensor types = OnnxTensor.createTensor(env, new long[][] {enc.tokenTypeIds()});
             OrtSession.Result result = session.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
            Optional<ai.onnxruntime.OnnxValue> out = result.get("last_hidden_state");
            assertThat(out).isPresent();
            long[] shape = ((OnnxTensor) out.get()).getInfo().getShape();
            assertThat(shape).containsExactly(1, len, m.hiddenSize());
            ort = (float[][][]) out.get().getValue();
        }

        double[][] mine = new ReferenceBert(m, STORE.load(m)).forward(enc.inputIds(), enc.tokenTypeIds());

        double maxDiff = 0;
        for (int t = 0; t < len; t++) {
            for (int j = 0; j < m.hiddenSize(); j++) {
                assertThat(Float.isFinite(ort[0][t][j])).isTrue();
                maxDiff = Math.max(maxDiff, Math.abs(ort[0][t][j] - mine[t][j]));
            }
        }
        System.out.printf("%s: %d tokens, max |onnxruntime - converted forward| = %.3g%n", m.id(), len, maxDiff);
        assertThat(maxDiff).isLessThan(5e-5);
    }
}
