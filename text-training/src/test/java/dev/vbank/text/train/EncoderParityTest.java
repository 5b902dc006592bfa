package dev.vbank.text.train;

import dev.vbank.text.model.FloatTensor;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.model.BaseModel;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.vbank.text.TestDirs;
import dev.vbank.text.tokenize.Batch;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.vblora.model.Adapter;
import dev.vbank.vblora.model.BertEncoder;
import dev.vbank.vblora.model.EncoderWeights;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The engine's DJL encoder (vblora-core {@code BertEncoder}, weights from the converted store) against onnxruntime
 * running the original ONNX file: same padded batch of a single text and a text pair, last hidden state everywhere.
 */
class EncoderParityTest {
    private static final BaseModelStore STORE = new BaseModelStore(TestDirs.models());

    static List<BaseModel> models() {
        return BaseModels.all();
    }

    @ParameterizedTest
    @MethodSource("models")
    void djlEncoderMatchesOnnxRuntimeWithin1e4(BaseModel m) throws Exception {
        String p = m.textPrefix();
        Batch batch;
        try (TextTokenizer tok = TextTokenizer.forModel(m, 64)) {
            batch = tok.encodePairBatch(
                    List.of(p + "The battery died after two days and support never answered.",
                            p + "Great sound, and the case is sturdy."),
                    java.util.Arrays.asList(null, p + "Would buy again without hesitation!"), Padding.LONGEST);
        }
        int n = batch.size();
        int len = batch.length();
        assertThat(batch.attentionMask()).contains(0L); // the first row is padded
        assertThat(batch.tokenTypeIds()).contains(1L); // the second row is a pair

        float[][][] ort;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        byte[] bytes;
        try (InputStream in = STORE.openResource(m.onnxResource(), m)) {
            bytes = in.readAllBytes();
        }
        try (OrtSession session = env.createSession(bytes, new OrtSession.SessionOptions());
             OnnxTensor ids = OnnxTensor.createTensor(env, batch.inputIds2d());
             OnnxTensor mask = OnnxTensor.createTensor(env, batch.attentionMask2d());
             OnnxTensor types = OnnxTensor.createTensor(env, batch.tokenTypeIds2d());
             OrtSession.Result result = session.run(Map.of("input_ids", ids, "attention_mask", mask,
                     "token_type_ids", types))) {
            ort = (float[][][]) result.get("last_hidden_state").orElseThrow().getValue();
        }

        float[] djl;
        try (NDManager manager = Engine.getEngine("PyTorch").newBaseManager()) {
            Map<String, FloatTensor> t = STORE.load(m);
            EncoderWeights w = EncoderWeights.fromArrays(manager, FineTuner.shapeOf(m), FloatTensor.values(t),
                    FloatTensor.shapes(t));
            Shape shape = new Shape(n, len);
            NDArray hidden = BertEncoder.forward(w, Adapter.BASE_ONLY, manager.create(batch.inputIds(), shape),
                    manager.create(batch.attentionMask(), shape), manager.create(batch.tokenTypeIds(), shape));
            assertThat(hidden.getShape()).isEqualTo(new Shape(n, len, m.hiddenSize()));
            djl = hidden.toFloatArray();
        }

        double maxDiff = 0;
        double maxAbs = 0;
        for (int r = 0; r < n; r++) {
            for (int t = 0; t < len; t++) {
                for (int j = 0; j < m.hiddenSize(); j++) {
                    float o = ort[r][t][j];
                    assertThat(Float.isFinite(o)).isTrue();
                    maxAbs = Math.max(maxAbs, Math.abs(o));
                    maxDiff = Math.max(maxDiff, Math.abs(o - djl[(r * len + t) * m.hiddenSize() + j]));
                }
            }
        }
        System.out.printf("%s: %d x %d tokens, max |onnxruntime - DJL encoder| = %.3g (max |h| %.3g)%n", m.id(), n,
                len, maxDiff, maxAbs);
        assertThat(maxAbs).isGreaterThan(0.1);
        assertThat(maxDiff).isLessThanOrEqualTo(1e-4);
    }
}
