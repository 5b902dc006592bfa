package dev.vbank.text.serve;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.vbank.text.TestDirs;
import dev.vbank.text.eval.SuiteEvaluator;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.tokenize.Encoding;
import dev.vbank.text.tokenize.Padding;
import dev.vbank.text.train.FineTuner;
import dev.vbank.text.train.Method;
import dev.vbank.text.tokenize.TextTokenizer;
import dev.vbank.vblora.format.AdapterKind;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.model.AdaptedEncoder;
import dev.vbank.vblora.model.AdapterLoader;
import dev.vbank.vblora.model.Batch;
import dev.vbank.vblora.model.EncoderWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The multi-adapter batched forward on the real all-MiniLM-L6-v2: ten different adapters (VB-LoRA trained here and
 * built by the engine with several ranks, top-k and targets; LoRA of two ranks; head-only; a regression head) and a
 * base-only row in ONE batch, each row compared with that adapter alone, merged into copies of the weights.
 */
class MultiAdapterServingTest {
    private static final BaseModel MODEL = BaseModels.ALL_MINILM_L6_V2;

    private static FineTuner tuner;
    private static SuiteEvaluator evaluator;
    private static InferenceEngine engine;
    private static NDManager fixtures;
    private static final List<byte[]> adapters = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        tuner = new FineTuner(new dev.vbank.text.model.BaseModelStore(TestDirs.models()));
        evaluator = new SuiteEvaluator(tuner);
        engine = new InferenceEngine(tuner, Duration.ofMillis(20), 64);
        fixtures = Engine.getEngine("PyTorch").newBaseManager();
        FineTuner.gradModeOff();
        Path dir = Files.createTempDirectory("serving-test");
        EncoderWeights base = tuner.baseWeights(MODEL);
        List<String> two = List.of("negative", "positive");
        adapters.add(ServingFixtures.trained(tuner, MODEL, Method.VBLORA, dir.resolve("vb")));
        adapters.add(ServingFixtures.trained(tuner, MODEL, Method.LORA, dir.resolve("lora")));
        adapters.add(ServingFixtures.vblora(fixtures, base, MODEL, ServingFixtures.vbloraConfig("qv", 4, 2), two, 11));
        adapters.add(ServingFixtures.vblora(fixtures, base, MODEL, ServingFixtures.vbloraConfig("qv", 4, 2), two, 12));
        adapters.add(ServingFixtures.vblora(fixtures, base, MODEL, ServingFixtures.vbloraConfig("all-linear", 2, 3),
                List.of("a", "b", "c"), 13));
        adapters.add(ServingFixtures.vblora(fixtures, base, MODEL, ServingFixtures.vbloraConfig("query,key,value", 6, 2),
                List.of(), 14));
        adapters.add(ServingFixtures.lora(fixtures, base, MODEL, ServingFixtures.loraConfig("qv", 8), two, 15));
        adapters.add(ServingFixtures.lora(fixtures, base, MODEL, ServingFixtures.loraConfig("all-linear", 2), two, 16));
        adapters.add(ServingFixtures.lora(fixtures, base, MODEL, ServingFixtures.loraConfig("qv", 4), two, 17));
        adapters.add(ServingFixtures.headOnly(fixtures, base, MODEL, two, 18));
    }

    @AfterAll
    static void tearDown() {
        engine.close();
        fixtures.close();
        evaluator.close();
        tuner.close();
    }

    private static ServedAdapter served(int i) {
        byte[] compact = adapters.get(i);
        return ServedAdapter.load(engine.manager(), "adapter-" + i, Integer.toString(i), compact);
    }

    /** The reference: the adapter alone, its ΔW merged into copies of the base weights it adapts. */
    private static float[] mergedAlone(int adapter, String text) throws Exception {
        AdapterWeights w = CompactFormat.read(adapters.get(adapter));
        List<String> adapted = w.kind() == AdapterKind.HEAD_ONLY ? List.of()
                : w.adaptedPaths().stream().map(p -> p + ".weight").toList();
        int seqLen = Math.min(MODEL.maxPositions(), SuiteEvaluator.recordedSeqLength(w));
        try (NDManager scope = fixtures.newSubManager();
             EncoderWeights copies = tuner.baseWeights(MODEL).withCopiesOf(scope, adapted);
             AdaptedEncoder merged = AdapterLoader.load(scope, copies, w, FineTuner.poolingOf(MODEL));
             TextTokenizer tok = TextTokenizer.forModel(MODEL, seqLen)) {
            if (w.kind() != AdapterKind.HEAD_ONLY) {
                merged.merge();
            }
            var padded = tok.pad(new Encoding[] {tok.encode(text)}, Padding.LONGEST);
            return merged.predict(scope, new Batch(1, padded.length(), padded.inputIds(), padded.attentionMask(),
                    padded.tokenTypeIds(), null));
        }
    }

    @Test
    void everyRowOfAMixedBatchEqualsItsAdapterMergedAndRunAlone() throws Exception {
        int n = adapters.size();
        List<ServedAdapter> served = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            served.add(served(i));
        }
        assertThat(served.stream().map(s -> s.composed().kind()).distinct())
                .contains(AdapterKind.VBLORA, AdapterKind.LORA, AdapterKind.HEAD_ONLY);
        // one future per adapter (and one base-only row); all reach the engine inside one window
        List<CompletableFuture<List<InferenceEngine.RowResult>>> futures = new ArrayList<>();
        long before = engine.batches();
        for (int i = 0; i < n; i++) {
            ServedAdapter s = served.get(i);
            futures.add(engine.submit(s, engine.prepare(MODEL, s.maxSeqLength(),
                    List.of(InferenceEngine.Input.of(ServingFixtures.TEXTS.get(i))))));
        }
        futures.add(engine.submit(null, engine.prepare(MODEL, 64,
                List.of(InferenceEngine.Input.of(ServingFixtures.TEXTS.get(n))))));
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
        assertThat(engine.batches() - before).as("forward passes for %d rows", n + 1).isEqualTo(1);

        float[][] heads = new float[n][];
        for (int i = 0; i < n; i++) {
            heads[i] = futures.get(i).join().get(0).head();
            float[] expected = mergedAlone(i, ServingFixtures.TEXTS.get(i));
            assertThat(heads[i]).as("adapter %d (%s)", i, served.get(i).composed().kind()).hasSize(expected.length);
            for (int k = 0; k < expected.length; k++) {
                assertThat(Math.abs(heads[i][k] - expected[k])).as("adapter %d output %d: %s vs merged %s", i, k,
                        Arrays.toString(heads[i]), Arrays.toString(expected)).isLessThanOrEqualTo(1e-4f);
            }
        }
        // the adapters matter: the same text through different adapters of one head shape gives different outputs
        String text = ServingFixtures.TEXTS.get(0);
        float[] a = mergedAlone(2, text);
        float[] b = mergedAlone(3, text);
        assertThat(Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1])).isGreaterThan(1e-2f);
        assertThat(futures.get(n).join().get(0).head()).isNull();
        assertThat(futures.get(n).join().get(0).embedding()).hasSize(MODEL.hiddenSize());
        served.forEach(ServedAdapter::release);
        assertThat(served).allMatch(ServedAdapter::closed);
    }

    @Test
    void sameTextThroughManyAdaptersInOneBatchMatchesEachAdapterAlone() throws Exception {
        String text = ServingFixtures.TEXTS.get(3);
        List<ServedAdapter> served = new ArrayList<>();
        List<CompletableFuture<List<InferenceEngine.RowResult>>> futures = new ArrayList<>();
        for (int i = 2; i < 9; i++) {
            ServedAdapter s = served(i);
            served.add(s);
            futures.add(engine.submit(s, engine.prepare(MODEL, s.maxSeqLength(),
                    List.of(InferenceEngine.Input.of(text), InferenceEngine.Input.of(ServingFixtures.TEXTS.get(i))))));
        }
        // the reference runs on this thread with the same base weights: only once the engine is done with them
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
        for (int j = 0; j < futures.size(); j++) {
            List<InferenceEngine.RowResult> rows = futures.get(j).join();
            assertThat(rows).hasSize(2);
            float[] expected = mergedAlone(j + 2, text);
            for (int k = 0; k < expected.length; k++) {
                assertThat(Math.abs(rows.get(0).head()[k] - expected[k])).isLessThanOrEqualTo(1e-4f);
            }
        }
        served.forEach(ServedAdapter::release);
    }

    @Test
    void embeddingsOfTheBaseAloneDoNotDependOnTheOtherRowsOfTheBatch() {
        String text = ServingFixtures.TEXTS.get(5);
        float[] alone = engine.submit(null, engine.prepare(MODEL, 64, List.of(InferenceEngine.Input.of(text))))
                .join().get(0).embedding();
        ServedAdapter s = served(4);
        var mixed = engine.submit(s, engine.prepare(MODEL, s.maxSeqLength(),
                List.of(InferenceEngine.Input.of("a much longer sentence that pads the short one in the same batch"))));
        var plain = engine.submit(null, engine.prepare(MODEL, 64, List.of(InferenceEngine.Input.of(text))));
        float[] together = plain.join().get(0).embedding();
        mixed.join();
        s.release();
        for (int i = 0; i < alone.length; i++) {
            assertThat(Math.abs(alone[i] - together[i])).isLessThanOrEqualTo(1e-5f);
        }
        assertThat(Math.abs(alone[0]) + Math.abs(alone[1])).isGreaterThan(0f);
    }
}
