package dev.vbank.text.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.vbank.text.TestDirs;
import dev.vbank.text.model.BaseModel;
import dev.vbank.text.model.BaseModelStore;
import dev.vbank.text.model.BaseModels;
import dev.vbank.text.train.FineTuner;
import dev.vbank.vblora.model.EncoderWeights;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The byte-bounded LRU of composed adapters, with real VB-LoRA and LoRA adapters of all-MiniLM-L6-v2. */
class AdapterCacheTest {
    private static final BaseModel MODEL = BaseModels.ALL_MINILM_L6_V2;
    private static FineTuner tuner;
    private static NDManager manager;
    private static final List<byte[]> adapters = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        tuner = new FineTuner(new BaseModelStore(TestDirs.models()));
        manager = Engine.getEngine("PyTorch").newBaseManager();
        FineTuner.gradModeOff();
        EncoderWeights base = tuner.baseWeights(MODEL);
        for (int i = 0; i < 3; i++) {
            adapters.add(ServingFixtures.vblora(manager, base, MODEL, ServingFixtures.vbloraConfig("qv", 4, 2),
                    List.of("negative", "positive"), 40 + i));
        }
        adapters.add(ServingFixtures.lora(manager, base, MODEL, ServingFixtures.loraConfig("qv", 8),
                List.of("negative", "positive"), 50));
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        tuner.close();
    }

    private static ServedAdapter load(String key) {
        int i = Integer.parseInt(key);
        return ServedAdapter.load(manager, key, "sha-" + key, adapters.get(i));
    }

    @Test
    void aQvVbloraAdapterOnMiniLmHoldsItsComposedFactorsAndHeadOnly() {
        ServedAdapter a = load("0");
        // 6 layers × (query, value) × (A 4×384 + B 384×4) fp32, and a 2×384 head with its bias
        assertThat(a.composed().residentBytes()).isEqualTo(12L * 2 * 4 * 384 * 4 + (2 * 384 + 2) * 4);
        // 147.0 KiB: within the 150 KB per cached qv adapter (KB = 1024 bytes)
        assertThat(a.residentBytes()).isLessThanOrEqualTo(150 * 1024);
        a.release();
        assertThat(a.closed()).isTrue();
    }

    @Test
    void leastRecentlyUsedAdaptersLeaveOncePastTheBudgetAndCloseWhenTheirLastUserIsDone() throws Exception {
        long one = load("0").residentBytes();
        try (AdapterCache cache = new AdapterCache(2 * one + one / 2)) {
            ServedAdapter a = cache.get("0", AdapterCacheTest::load);
            ServedAdapter b = cache.get("1", AdapterCacheTest::load);
            b.release();
            ServedAdapter again = cache.get("0", AdapterCacheTest::load);
            assertThat(again).isSameAs(a);
            again.release();
            // "1" is now the least recently used: loading "2" evicts it, not "0"
            ServedAdapter c = cache.get("2", AdapterCacheTest::load);
            assertThat(cache.contains("1")).isFalse();
            assertThat(cache.contains("0")).isTrue();
            assertThat(b.closed()).isTrue();
            // the LoRA adapter (rank 8: twice the bytes) pushes out both others, "0" while a batch still holds it:
            // it stays usable until released
            c.release();
            ServedAdapter d = cache.get("3", AdapterCacheTest::load);
            assertThat(d.residentBytes()).isGreaterThan(2 * one - one / 10);
            assertThat(cache.contains("0")).isFalse();
            assertThat(cache.contains("2")).isFalse();
            assertThat(c.closed()).isTrue();
            assertThat(a.closed()).isFalse();
            assertThat(a.composed().factors().values().iterator().next().a().toFloatArray()).hasSize(4 * 384);
            a.release();
            assertThat(a.closed()).isTrue();
            d.release();
            AdapterCache.Stats s = cache.stats();
            assertThat(s.entries()).isEqualTo(1);
            assertThat(s.bytes()).isEqualTo(d.residentBytes()).isLessThanOrEqualTo(s.budget());
            assertThat(s.evictions()).isEqualTo(3);
            assertThat(s.misses()).isEqualTo(4);
            assertThat(s.hits()).isEqualTo(1);
        }
    }

    @Test
    void concurrentMissesLoadOnceAndAFailedLoadIsNotCached() throws Exception {
        try (AdapterCache cache = new AdapterCache(10_000_000)) {
            AtomicInteger loads = new AtomicInteger();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<ServedAdapter>> got = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                got.add(pool.submit(() -> {
                    start.await();
                    return cache.get("1", k -> {
                        loads.incrementAndGet();
                        Thread.sleep(200);
                        return load(k);
                    });
                }));
            }
            start.countDown();
            ServedAdapter first = got.get(0).get();
            for (Future<ServedAdapter> f : got) {
                assertThat(f.get()).isSameAs(first);
                f.get().release();
            }
            pool.shutdown();
            assertThat(loads).hasValue(1);

            assertThatThrownBy(() -> cache.get("2", k -> {
                throw new java.io.IOException("artifact-service down");
            })).hasMessageContaining("artifact-service down");
            assertThat(cache.contains("2")).isFalse();
            ServedAdapter later = cache.get("2", AdapterCacheTest::load);
            assertThat(later.id()).isEqualTo("2");
            later.release();
        }
    }
}
