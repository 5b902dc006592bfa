package dev.vbank.text.serve;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.vbank.text.TestDirs;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.train.FineTuner;
import dev.vbank.vblora.format.AdapterWeights;
import dev.vbank.vblora.format.BankRef;
import dev.vbank.vblora.format.CompactFormat;
import dev.vbank.vblora.format.Tensor;
import dev.vbank.vblora.format.VectorBankFile;
import dev.vbank.vblora.model.EncoderWeights;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bank-referencing adapters in the serving cache: the shared bank is held once for all of them, each is charged its
 * packed bytes, a batch composes their factors from the shared bank and gets what the composed path gives, and the
 * bank leaves with the last adapter that references it.
 */
class SharedBankServingTest {
    private static final BaseModel MODEL = BaseModels.ALL_MINILM_L6_V2;
    private static final int SHARED = 5;

    private static FineTuner tuner;
    private static InferenceEngine engine;
    private static NDManager fixtures;
    private static byte[] bankFile;
    private static BankRef ref;
    private static final List<byte[]> shared = new ArrayList<>();
    private static byte[] privateAdapter;
    private static final AtomicInteger bankReads = new AtomicInteger();

    @BeforeAll
    static void setUp() throws Exception {
        tuner = new FineTuner(new dev.vbank.text.model.BaseModelStore(TestDirs.models()));
        engine = new InferenceEngine(tuner, Duration.ofMillis(50), 64);
        fixtures = Engine.getEngine("PyTorch").newBaseManager();
        FineTuner.gradModeOff();
        EncoderWeights base = tuner.baseWeights(MODEL);
        List<String> two = List.of("negative", "positive");
        // one published bank (the first fixture's), and adapters of other seeds trained against it: their own logits
        // (so their own top-k selections) and heads over the same bank
        Tensor bank = null;
        for (int i = 0; i < SHARED; i++) {
            AdapterWeights w = CompactFormat.read(ServingFixtures.vblora(fixtures, base, MODEL,
                    ServingFixtures.vbloraConfig("qv", 4, 2), two, 31 + i));
            if (bank == null) {
                bank = w.vectorBank();
                bankFile = VectorBankFile.write(bank);
                ref = new BankRef("vbank-test-shared", VectorBankFile.sha256(bankFile));
            }
            AdapterWeights referencing = w.withBank(bank, ref).toTopKOnly();
            shared.add(CompactFormat.write(referencing, CompactFormat.Options.SHARED_BANK));
        }
        privateAdapter = ServingFixtures.vblora(fixtures, base, MODEL, ServingFixtures.vbloraConfig("qv", 4, 2), two, 40);
    }

    @AfterAll
    static void tearDown() {
        engine.close();
        fixtures.close();
        tuner.close();
    }

    private static byte[] readBank(BankRef r) {
        assertThat(r).isEqualTo(ref);
        bankReads.incrementAndGet();
        return bankFile;
    }

    private static ServedAdapter packed(AdapterCache cache, int i) throws Exception {
        return cache.get("shared-" + i, k -> ServedAdapter.load(engine.manager(), k, Integer.toString(i),
                shared.get(i), SharedBankServingTest::readBank, cache.banks()));
    }

    private static ServedAdapter composedPrivate(AdapterCache cache) throws Exception {
        return cache.get("private", k -> ServedAdapter.load(engine.manager(), k, "p", privateAdapter,
                SharedBankServingTest::readBank, cache.banks()));
    }

    @Test
    void theBankIsHeldOnceAndEachAdapterIsChargedItsPackedBytes() throws Exception {
        bankReads.set(0);
        long bankBytes = 4L * 90 * 128;
        try (AdapterCache cache = new AdapterCache(1L << 30)) {
            long packedSum = 0;
            for (int i = 0; i < SHARED; i++) {
                ServedAdapter a = packed(cache, i);
                assertThat(a.packed()).isTrue();
                assertThat(a.bankRef()).isEqualTo(ref);
                // a MiniLM qv adapter packed: uint8 indices, fp16 weights and head, deflated manifest
                assertThat(a.residentBytes()).as("packed bytes of adapter %d", i).isLessThanOrEqualTo(4096);
                packedSum += a.residentBytes();
                a.release();
            }
            AdapterCache.Stats s = cache.stats();
            assertThat(bankReads.get()).as("bank file reads").isEqualTo(1);
            assertThat(cache.banks().size()).isEqualTo(1);
            assertThat(cache.banks().references(ref.sha256())).isEqualTo(SHARED);
            assertThat(s.banks()).isEqualTo(1);
            assertThat(s.bankBytes()).isEqualTo(bankBytes);
            assertThat(s.bytes()).isEqualTo(bankBytes + packedSum);
            // the same adapter composed would be charged its fp32 factors: far more than packed
            ServedAdapter composed = ServedAdapter.load(engine.manager(), "c", "c", shared.get(0),
                    SharedBankServingTest::readBank);
            assertThat(composed.packed()).isFalse();
            assertThat(composed.residentBytes()).isGreaterThan(30 * packedSum / SHARED);
            System.out.printf("shared bank %d B once; %d packed adapters %d B (%d B each on average); the same adapter"
                    + " composed %d B%n", bankBytes, SHARED, packedSum, packedSum / SHARED, composed.residentBytes());
            composed.release();

            // a private-bank adapter is cached composed, and touches no shared bank
            ServedAdapter p = composedPrivate(cache);
            assertThat(p.packed()).isFalse();
            assertThat(p.residentBytes()).isGreaterThan(100_000);
            p.release();
            assertThat(cache.stats().bytes()).isEqualTo(bankBytes + packedSum + p.residentBytes());

            // evicting every referencing adapter frees the bank
            for (int i = 0; i < SHARED; i++) {
                assertThat(cache.banks().holds(ref.sha256())).as("bank held before adapter %d leaves", i).isTrue();
                cache.invalidate("shared-" + i);
            }
            assertThat(cache.banks().size()).isZero();
            assertThat(cache.stats().bankBytes()).isZero();
            assertThat(cache.stats().bytes()).isEqualTo(p.residentBytes());
        }
    }

    @Test
    void budgetEvictionOfEveryReferencingAdapterFreesTheBank() throws Exception {
        ServedAdapter probe = ServedAdapter.load(engine.manager(), "probe", "p", privateAdapter);
        long composedBytes = probe.residentBytes();
        probe.release();
        long bankBytes = 4L * 90 * 128;
        // room for the private adapter and half the bank: once it is in, every shared-bank adapter must go
        try (AdapterCache cache = new AdapterCache(composedBytes + bankBytes / 2)) {
            for (int i = 0; i < SHARED; i++) {
                packed(cache, i).release();
            }
            assertThat(cache.stats().entries()).isEqualTo(SHARED);
            assertThat(cache.banks().holds(ref.sha256())).isTrue();
            composedPrivate(cache).release();
            assertThat(cache.stats().entries()).isEqualTo(1);
            assertThat(cache.stats().evictions()).isEqualTo(SHARED);
            assertThat(cache.banks().size()).isZero();
            assertThat(cache.stats().bytes()).isEqualTo(composedBytes);
        }
    }

    @Test
    void aBatchOfSharedBankAdaptersAndAPrivateOneEqualsTheComposedPath() throws Exception {
        try (AdapterCache cache = new AdapterCache(1L << 30)) {
            List<ServedAdapter> packedAdapters = new ArrayList<>();
            for (int i = 0; i < SHARED; i++) {
                packedAdapters.add(packed(cache, i));
            }
            packedAdapters.add(composedPrivate(cache));
            List<ServedAdapter> composed = new ArrayList<>();
            for (int i = 0; i < SHARED; i++) {
                composed.add(ServedAdapter.load(engine.manager(), "c" + i, "c" + i, shared.get(i),
                        SharedBankServingTest::readBank));
            }
            composed.add(ServedAdapter.load(engine.manager(), "cp", "cp", privateAdapter));

            List<InferenceEngine.Input> inputs = ServingFixtures.TEXTS.subList(0, 3).stream()
                    .map(InferenceEngine.Input::of).toList();
            long before = engine.batches();
            List<CompletableFuture<List<InferenceEngine.RowResult>>> got = new ArrayList<>();
            for (ServedAdapter a : packedAdapters) {
                got.add(engine.submit(a, engine.prepare(MODEL, a.maxSeqLength(), inputs)));
            }
            CompletableFuture.allOf(got.toArray(CompletableFuture[]::new)).join();
            assertThat(engine.batches() - before).as("one forward for the shared-bank and private adapters")
                    .isEqualTo(1);
            List<CompletableFuture<List<InferenceEngine.RowResult>>> want = new ArrayList<>();
            for (ServedAdapter a : composed) {
                want.add(engine.submit(a, engine.prepare(MODEL, a.maxSeqLength(), inputs)));
            }
            CompletableFuture.allOf(want.toArray(CompletableFuture[]::new)).join();

            float maxDiff = 0;
            for (int a = 0; a < packedAdapters.size(); a++) {
                for (int row = 0; row < inputs.size(); row++) {
                    InferenceEngine.RowResult g = got.get(a).join().get(row);
                    InferenceEngine.RowResult w = want.get(a).join().get(row);
                    assertThat(g.head()).hasSize(w.head().length);
                    for (int k = 0; k < w.head().length; k++) {
                        maxDiff = Math.max(maxDiff, Math.abs(g.head()[k] - w.head()[k]));
                    }
                    for (int k = 0; k < w.embedding().length; k++) {
                        maxDiff = Math.max(maxDiff, Math.abs(g.embedding()[k] - w.embedding()[k]));
                    }
                }
            }
            assertThat(maxDiff).as("packed vs composed").isLessThanOrEqualTo(1e-5f);
            // the shared-bank adapters differ from one another (own selections and heads over one bank)
            float[] h0 = got.get(0).join().get(0).head();
            float[] h1 = got.get(1).join().get(0).head();
            assertThat(Math.abs(h0[0] - h1[0]) + Math.abs(h0[1] - h1[1])).isGreaterThan(1e-2f);
            packedAdapters.forEach(ServedAdapter::release);
            composed.forEach(ServedAdapter::release);
        }
    }
}
