package dev.vbank.text.interop;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vbank.text.TestDirs;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.model.FloatTensor;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.text.train.FineTuner;
import dev.vbank.vblora.config.LoraConfig;
import dev.vbank.vblora.config.ModuleShape;
import dev.vbank.vblora.config.TargetModules;
import dev.vbank.vblora.config.VbloraConfig;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.Half;
import dev.vbank.vblora.format.LoraModule;
import dev.vbank.vblora.format.PeftFormat;
import dev.vbank.vblora.format.Safetensors;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.VbloraModule;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.AdapterLoader;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.EncoderShape;
import dev.vbank.vblora.model.EncoderWeights;
import dev.vbank.vblora.model.Pooling;
import dev.vbank.vblora.serve.ComposedAdapter;
import dev.vbank.vblora.serve.MultiAdapterForward;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * vbank's label probabilities survive the PEFT export: adapters on the real MiniLM-L6 encoder, exported as PEFT
 * directories, read back and run again give the same probabilities. With {@code -Dvbank.peftcheck.out=DIR} it also writes
 * what {@code src/test/python/peft_check.py} needs to repeat the comparison with transformers + PEFT: the base weights
 * (fp16, which is why the base is rounded to fp16 here too), config, tokenizer, token ids, the exported directories,
 * vbank's probabilities, the pooled embeddings vbank's serving forward gives with the adapter, and each module's ΔW·P
 * for a fixed probe P.
 */
class PeftExportPredictionsTest {

    static final String LONG_REVIEW = "The battery died after two days, the screen scratched in a week, support never "
            + "answered my emails, the replacement arrived broken, and the refund took three months of phone calls to a "
            + "call centre that kept transferring me between departments which each told me it was somebody else's "
            + "problem, so by the end I had spent more time on the phone than I ever spent using the thing itself.";
    static final List<String> TEXTS = List.of(
            "The food was wonderful and the staff were friendly.",
            "Terrible service, I will never come back.",
            "It was fine. Nothing special, nothing bad.",
            "An absolute masterpiece of slow cinema; I loved every minute of it!",
            "Meh.",
            LONG_REVIEW + " Twice: " + LONG_REVIEW);
    static final int MAX_SEQ_LENGTH = 128;
    static final int PROBE_COLUMNS = 8;
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Test
    void exportedAdaptersReproduceVbankProbabilities() throws Exception {
        BaseModel bm = BaseModels.ALL_MINILM_L6_V2;
        EncoderShape shape = FineTuner.shapeOf(bm);
        Map<String, Tensor> base = new LinkedHashMap<>();
        for (FloatTensor t : new BaseModelStore(TestDirs.models()).load(bm).values()) {
            float[] d = t.data().clone();
            for (int i = 0; i < d.length; i++) {
                d[i] = Half.round(d[i]);
            }
            long[] s = new long[t.shape().length];
            for (int i = 0; i < s.length; i++) {
                s[i] = t.shape()[i];
            }
            base.put(t.name(), new Tensor(s, d));
        }
        Map<String, AdapterWeights> adapters = new LinkedHashMap<>();
        AdapterWeights vblora = randomVblora(shape, 5);
        adapters.put("vblora_full", vblora);
        adapters.put("vblora_topk", vblora);
        adapters.put("lora", randomLora(shape, 6));
        String outProp = System.getProperty("vbank.peftcheck.out");
        Path out = outProp == null || outProp.isBlank() ? null : Path.of(outProp);

        ObjectNode cases = JSON.createObjectNode();
        Pooling pooling = FineTuner.poolingOf(bm);
        try (NDManager root = Engine.getEngine("PyTorch").newBaseManager();
             TextTokenizer tok = TextTokenizer.forModel(bm, MAX_SEQ_LENGTH);
             EncoderWeights weights = EncoderWeights.fromTensors(root, shape, base)) {
            FineTuner.gradModeOff();
            var enc = tok.encodeBatch(TEXTS.stream().map(t -> bm.textPrefix() + t).toList(), Padding.LONGEST);
            Batch batch = new Batch(enc.size(), enc.length(), enc.inputIds(), enc.attentionMask(), enc.tokenTypeIds(), null);
            assertThat(enc.length()).as("the long text is truncated").isEqualTo(MAX_SEQ_LENGTH);
            cases.set("input_ids", JSON.valueToTree(enc.inputIds2d()));
            cases.set("attention_mask", JSON.valueToTree(enc.attentionMask2d()));
            cases.set("texts", JSON.valueToTree(TEXTS));
            cases.put("max_seq_length", MAX_SEQ_LENGTH);
            ObjectNode perAdapter = cases.putObject("adapters");
            Random probeRandom = new Random(99);
            Map<Integer, Tensor> probes = new LinkedHashMap<>();
            for (int in : new int[] {shape.hiddenSize(), shape.intermediateSize()}) {
                probes.put(in, gaussian(probeRandom, 1.0, in, PROBE_COLUMNS));
            }
            for (Map.Entry<String, AdapterWeights> e : adapters.entrySet()) {
                boolean topk = e.getKey().endsWith("topk");
                AdapterWeights a = topk ? e.getValue().toTopKOnly() : e.getValue();
                float[] logits = predictMerged(root, weights, a, pooling, batch);
                float[] probs = softmax(logits, 3);
                PeftFormat.Export export = PeftFormat.toFiles(a,
                        new PeftFormat.Options(topk, "", PeftTargets.of(bm)));
                AdapterWeights back = PeftFormat.importZip(export.zip());
                PeftFormat.checkFits(back, shape.linearModules());
                float[] again = softmax(predictMerged(root, weights, back, pooling, batch), 3);
                for (int i = 0; i < probs.length; i++) {
                    assertThat((double) again[i]).as(e.getKey() + " probability " + i).isCloseTo(probs[i],
                            org.assertj.core.data.Offset.offset(1e-6));
                }
                assertThat(PeftFormat.toFiles(back, new PeftFormat.Options(topk, "", PeftTargets.of(bm))).zip())
                        .as(e.getKey() + ": export -> import -> export is byte-stable").isEqualTo(export.zip());
                ObjectNode c = perAdapter.putObject(e.getKey());
                c.set("probabilities", JSON.valueToTree(rows(probs, 3)));
                c.set("logits", JSON.valueToTree(rows(logits, 3)));
                // what /v1/embeddings answers with this adapter: the serving forward (factors on the unchanged base)
                try (ComposedAdapter composed = ComposedAdapter.compose(root, a, shape)) {
                    MultiAdapterForward.Output served = MultiAdapterForward.run(root, weights, pooling, batch,
                            Collections.nCopies(batch.size(), composed));
                    for (int i = 0; i < batch.size(); i++) {
                        for (int k = 0; k < 3; k++) {
                            assertThat((double) served.heads()[i][k]).as(e.getKey() + " served logit " + i + "," + k)
                                    .isCloseTo(logits[i * 3 + k], org.assertj.core.data.Offset.offset(1e-4));
                        }
                    }
                    c.set("embeddings", JSON.valueToTree(rows(served.pooled(), served.hidden())));
                }
                if (out != null) {
                    Path dir = out.resolve("adapters").resolve(e.getKey());
                    Files.createDirectories(dir);
                    for (Map.Entry<String, byte[]> f : export.files().entrySet()) {
                        Files.write(dir.resolve(f.getKey()), f.getValue());
                    }
                    List<Safetensors.Entry> deltas = new ArrayList<>();
                    for (String p : a.adaptedPaths()) {
                        Tensor d = a.deltaWeight(p);
                        deltas.add(Safetensors.Entry.f32(p, matmul(d, probes.get((int) d.dim(1)))));
                    }
                    Safetensors.write(out.resolve("adapters").resolve(e.getKey() + "_delta_probe.safetensors"),
                            Map.of("format", "pt"), deltas);
                }
            }
            if (out != null) {
                writeBundle(out, bm, base, probes, cases);
            }
        }
    }

    private static void writeBundle(Path out, BaseModel bm, Map<String, Tensor> base, Map<Integer, Tensor> probes,
                                    ObjectNode cases) throws IOException {
        List<Safetensors.Entry> entries = new ArrayList<>();
        base.forEach((name, t) -> entries.add(Safetensors.Entry.f16(name, t)));
        Safetensors.write(out.resolve("base_fp16.safetensors"), Map.of("format", "pt"), entries);
        List<Safetensors.Entry> probeEntries = new ArrayList<>();
        probes.forEach((in, t) -> probeEntries.add(Safetensors.Entry.f32("probe_" + in, t)));
        Safetensors.write(out.resolve("probes.safetensors"), Map.of("format", "pt"), probeEntries);
        ObjectNode cfg = JSON.createObjectNode();
        cfg.put("model_type", "bert");
        cfg.putArray("architectures").add("BertModel");
        cfg.put("vocab_size", bm.vocabSize());
        cfg.put("hidden_size", bm.hiddenSize());
        cfg.put("num_hidden_layers", bm.layers());
        cfg.put("num_attention_heads", bm.heads());
        cfg.put("intermediate_size", bm.intermediateSize());
        cfg.put("hidden_act", "gelu");
        cfg.put("max_position_embeddings", bm.maxPositions());
        cfg.put("type_vocab_size", bm.typeVocabSize());
        cfg.put("layer_norm_eps", bm.layerNormEps());
        cfg.put("pad_token_id", 0);
        Files.write(out.resolve("config.json"), JSON.writeValueAsBytes(cfg));
        try (InputStream in = PeftExportPredictionsTest.class.getClassLoader().getResourceAsStream(bm.tokenizerResource())) {
            Files.write(out.resolve("tokenizer.json"), in.readAllBytes());
        }
        Files.write(out.resolve("cases.json"), JSON.writeValueAsBytes(cases));
    }

    /** Head outputs with the adapter merged into copies of the adapted weights, as vbank's evaluation runs them. */
    static float[] predictMerged(NDManager root, EncoderWeights base, AdapterWeights a, Pooling pooling, Batch batch) {
        List<String> adapted = a.adaptedPaths().stream().map(p -> p + ".weight").toList();
        try (EncoderWeights copy = base.withCopiesOf(root, adapted);
             AdaptedEncoder model = AdapterLoader.load(root, copy, a, pooling)) {
            model.merge();
            return model.predict(root, batch);
        }
    }

    static AdapterWeights randomVblora(EncoderShape shape, long seed) {
        Random rnd = new Random(seed);
        VbloraConfig c = VbloraConfig.builder().numVectors(64).vectorLength(128).r(4).topk(2)
                .targetModules(TargetModules.parse("query,value,output.dense")).build();
        List<VbloraModule> modules = new ArrayList<>();
        for (ModuleShape m : c.validateAgainst(shape.linearModules())) {
            modules.add(VbloraModule.ofLogits(m.path(), m.in(), m.out(),
                    gaussian(rnd, 1.0, c.r(), m.in() / c.vectorLength(), c.numVectors()),
                    gaussian(rnd, 1.0, m.out() / c.vectorLength(), c.r(), c.numVectors())));
        }
        return AdapterWeights.vblora(c, BaseModels.ALL_MINILM_L6_V2.id(), BaseModels.ALL_MINILM_L6_V2.weightsSha256(),
                gaussian(rnd, 0.02, c.numVectors(), c.vectorLength()), modules, head(rnd, shape), "SEQ_CLS",
                List.of("negative", "neutral", "positive"), provenance());
    }

    static AdapterWeights randomLora(EncoderShape shape, long seed) {
        Random rnd = new Random(seed);
        LoraConfig c = LoraConfig.defaults().withR(4).withAlpha(8).withTargetModules(TargetModules.parse("query,value,output.dense"));
        List<LoraModule> modules = new ArrayList<>();
        for (ModuleShape m : shape.linearModules()) {
            if (c.adapts(m.path())) {
                modules.add(new LoraModule(m.path(), m.in(), m.out(), gaussian(rnd, 0.05, c.r(), m.in()),
                        gaussian(rnd, 0.05, m.out(), c.r())));
            }
        }
        return AdapterWeights.lora(c, BaseModels.ALL_MINILM_L6_V2.id(), BaseModels.ALL_MINILM_L6_V2.weightsSha256(),
                modules, head(rnd, shape), "SEQ_CLS", List.of("negative", "neutral", "positive"), provenance());
    }

    private static Map<String, String> provenance() {
        return Map.of("max_seq_length", Integer.toString(MAX_SEQ_LENGTH), "task", "classification");
    }

    private static Map<String, Tensor> head(Random rnd, EncoderShape shape) {
        return Map.of("classifier.weight", gaussian(rnd, 1.0, 3, shape.hiddenSize()),
                "classifier.bias", gaussian(rnd, 0.1, 3));
    }

    static Tensor gaussian(Random rnd, double std, long... shape) {
        float[] d = new float[(int) java.util.Arrays.stream(shape).reduce(1, Math::multiplyExact)];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (rnd.nextGaussian() * std);
        }
        return new Tensor(shape, d);
    }

    static Tensor matmul(Tensor a, Tensor b) {
        int n = (int) a.dim(0);
        int k = (int) a.dim(1);
        int m = (int) b.dim(1);
        float[] out = new float[n * m];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int x = 0; x < k; x++) {
                    s += (double) a.data()[i * k + x] * b.data()[x * m + j];
                }
                out[i * m + j] = (float) s;
            }
        }
        return new Tensor(new long[] {n, m}, out);
    }

    static float[] softmax(float[] logits, int classes) {
        float[] p = new float[logits.length];
        for (int r = 0; r < logits.length / classes; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[r * classes + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[r * classes + c] - max);
            }
            for (int c = 0; c < classes; c++) {
                p[r * classes + c] = (float) (Math.exp(logits[r * classes + c] - max) / sum);
            }
        }
        return p;
    }

    private static float[][] rows(float[] flat, int cols) {
        float[][] out = new float[flat.length / cols][cols];
        for (int r = 0; r < out.length; r++) {
            System.arraycopy(flat, r * cols, out[r], 0, cols);
        }
        return out;
    }
}
